package io.weft.core.iproute;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;

/**
 * A VXLAN forwarding entry: frames for {@code mac} on {@code dev} are sent to the VTEP at {@code dst}, an IPv4
 * address on flannel.N and an IPv6 one on flannel-v6.N.
 */
public record FdbEntry(MacAddress mac, String dev, IpAddress dst) {

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
