package io.weft.core.iproute;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;

/**
 * A permanent neighbour entry, ARP for IPv4 and NDP for IPv6: weft answers for remote VTEPs itself, so the kernel
 * never asks over the overlay.
 */
public record NeighEntry(IpAddress ip, MacAddress mac, String dev) {

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
