package io.weft.agent.subnet;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;

/**
 * A lease's name in the stores, flannel's subnet key (pkg/subnet/subnet.go MakeSubnetKey and ParseSubnetKey):
 * {@code 10.244.1.0-24} for an IPv4 lease, {@code 10.244.1.0-24&fd00:10:244:1::-64} for a dual-stack one (the etcd key
 * under {@code <prefix>/subnets/}, and weft's lease file name). flannel has no IPv6-only key; weft names such a lease
 * by its IPv6 subnet alone ({@code fd00:10:244:1::-64}).
 *
 * @param subnet     the IPv4 subnet, null for an IPv6-only lease
 * @param ipv6Subnet the IPv6 subnet, null without IPv6
 */
public record SubnetKey(Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet) {

    public SubnetKey {
        if (subnet == null && ipv6Subnet == null) throw new IllegalArgumentException("a subnet key names at least one subnet");
    }

    /** Parses a key as flannel's ParseSubnetKey reads it; a name that is no key is refused with why. */
    public static SubnetKey parse(String name) {
        int amp = name.indexOf('&');
        if (amp >= 0) return new SubnetKey(Ipv4Cidr.parseKey(name.substring(0, amp)), v6(name.substring(amp + 1)));
        if (name.indexOf(':') >= 0) return new SubnetKey(null, v6(name));
        return new SubnetKey(Ipv4Cidr.parseKey(name), null);
    }

    private static Ipv6Cidr v6(String part) {
        // flannel's subnetRegex takes lower-case hex only ([a-f\d:]+), as Go's net.IP prints it
        if (!part.equals(part.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("IPv6 subnet \"" + part + "\" is not in lower case, as flannel writes keys");
        }
        return Ipv6Cidr.parseKey(part);
    }

    @Override
    public String toString() {
        if (subnet == null) return ipv6Subnet.toKey();
        return ipv6Subnet == null ? subnet.toKey() : subnet.toKey() + "&" + ipv6Subnet.toKey();
    }
}
