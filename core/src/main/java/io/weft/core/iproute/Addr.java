package io.weft.core.iproute;

import io.weft.core.net.IpAddress;

/** Builders for {@code ip addr} changes; an interface address is an address plus the prefix it is on. */
public final class Addr {
    private Addr() {}

    public static IpOp add(String dev, IpAddress address, int prefix) {
        return IpOp.ip("addr", "add", address + "/" + prefix, "dev", dev);
    }

    public static IpOp replace(String dev, IpAddress address, int prefix) {
        return IpOp.ip("addr", "replace", address + "/" + prefix, "dev", dev);
    }

    public static IpOp delete(String dev, IpAddress address, int prefix) {
        return IpOp.ip("addr", "del", address + "/" + prefix, "dev", dev);
    }

    public static IpOp flush(String dev) {
        return IpOp.ip("addr", "flush", "dev", dev);
    }
}
