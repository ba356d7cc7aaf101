package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;

/** An IPv4 address on an interface, with the prefix length of the network it is on. */
public record IfAddress(String dev, Ipv4Address address, int prefix) {
    @Override
    public String toString() {
        return address + "/" + prefix + " dev " + dev;
    }
}
