package io.weft.core.iproute;

import io.weft.core.net.Ipv6Address;

/**
 * An IPv6 address on an interface: the prefix length of its network and its scope ("global" or "link"); addresses
 * of host scope (::1) and deprecated ones are not listed, as flannel's GetInterfaceIP6Addrs leaves them out.
 */
public record IfAddress6(String dev, Ipv6Address address, int prefix, String scope) {
    public boolean global() {
        return "global".equals(scope);
    }

    @Override
    public String toString() {
        return address + "/" + prefix + " dev " + dev;
    }
}
