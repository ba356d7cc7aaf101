package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;

/** A permanent IPv4 neighbour (ARP) entry: weft answers ARP for remote VTEPs itself. */
public record NeighEntry(Ipv4Address ip, MacAddress mac, String dev) {

    public IpOp replace() {
        return IpOp.ip("neigh", "replace", ip.toString(), "lladdr", mac.toString(), "dev", dev, "nud", "permanent");
    }

    public IpOp delete() {
        return IpOp.ip("neigh", "del", ip.toString(), "dev", dev);
    }

    @Override
    public String toString() {
        return ip + " lladdr " + mac + " dev " + dev;
    }
}
