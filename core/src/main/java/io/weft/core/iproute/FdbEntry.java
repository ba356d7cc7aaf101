package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;

/** A VXLAN forwarding entry: frames for {@code mac} on {@code dev} are sent to the VTEP at {@code dst}. */
public record FdbEntry(MacAddress mac, String dev, Ipv4Address dst) {

    public IpOp replace() {
        return IpOp.bridge("fdb", "replace", mac.toString(), "dev", dev, "dst", dst.toString(), "self", "permanent");
    }

    public IpOp delete() {
        return IpOp.bridge("fdb", "del", mac.toString(), "dev", dev, "dst", dst.toString(), "self");
    }

    @Override
    public String toString() {
        return mac + " dev " + dev + " dst " + dst;
    }
}
