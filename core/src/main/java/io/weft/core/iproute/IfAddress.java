package io.weft.core.iproute;

import io.weft.core.net.IpAddress;

/** An IPv4 or IPv6 address on an interface, with the prefix length of the network it is on. */
public record IfAddress(String dev, IpAddress address, int prefix) {
    @Override
    public String toString() {
        return address + "/" + prefix + " dev " + dev;
    }
}
