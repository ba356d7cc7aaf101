package io.weft.agent.subnet;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.time.Instant;

/**
 * A node's hold on its subnets: the IPv4 subnet, what the node published with it, when it runs out, and the IPv6
 * subnet beside it (flannel's lease.Lease Subnet and IPv6Subnet). Each subnet is null when its family is off: the
 * IPv6 one on an IPv4-only cluster, the IPv4 one on an IPv6-only cluster.
 */
public record Lease(Ipv4Cidr subnet, LeaseRecord attrs, Instant expiration, Ipv6Cidr ipv6Subnet) {

    /** An IPv4-only lease. */
    public Lease(Ipv4Cidr subnet, LeaseRecord attrs, Instant expiration) {
        this(subnet, attrs, expiration, null);
    }

    /** This lease with other attributes and expiry, the same subnets. */
    public Lease with(LeaseRecord newAttrs, Instant newExpiration) {
        return new Lease(subnet, newAttrs, newExpiration, ipv6Subnet);
    }

    /**
     * The lease's name in the stores, flannel's MakeSubnetKey (pkg/subnet/subnet.go): "10.244.1.0-24", or
     * "10.244.1.0-24&fd00:10:244:1::-64" with both families; "fd00:10:244:1::-64" alone on an IPv6-only cluster.
     */
    public String key() {
        return key(subnet, ipv6Subnet);
    }

    public static String key(Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet) {
        return new SubnetKey(subnet, ipv6Subnet).toString();
    }

    /** "10.244.1.0/24", "10.244.1.0/24 + fd00:10:244:1::/64" or "fd00:10:244:1::/64", for log lines. */
    public String describe() {
        if (subnet == null) return String.valueOf(ipv6Subnet);
        return ipv6Subnet == null ? subnet.toString() : subnet + " + " + ipv6Subnet;
    }
}
