package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;

/** Builders for {@code ip addr} changes; an interface address is an address plus the prefix it is on. */
public final class Addr {
    private Addr() {}

    public static IpOp add(String dev, Ipv4Address address, int prefix) {
        return IpOp.ip("addr", "add", address + "/" + prefix, "dev", dev);
    }

    public static IpOp replace(String dev, Ipv4Address address, int prefix) {
        return IpOp.ip("addr", "replace", address + "/" + prefix, "dev", dev);
    }

    public static IpOp delete(String dev, Ipv4Address address, int prefix) {
        return IpOp.ip("addr", "del", address + "/" + prefix, "dev", dev);
    }

    public static IpOp flush(String dev) {
        return IpOp.ip("addr", "flush", "dev", dev);
    }
}
