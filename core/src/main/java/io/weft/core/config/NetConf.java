package io.weft.core.config;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;

/**
 * flannel's network configuration (net-conf.json), with every default already applied (pkg/subnet/config.go
 * CheckNetworkConfig). Each family's fields are null (and its SubnetLen 0) when that family is off: {@code network},
 * {@code subnetMin} and {@code subnetMax} on an IPv6-only cluster ({@code EnableIPv4: false}), the {@code ipv6*}
 * ones without {@code EnableIPv6}.
 *
 * @param subnetMin     the first subnet that may be leased (flannel skips the network's first block)
 * @param subnetMax     the last subnet that may be leased
 * @param ipv6Network   the IPv6 pod network (IPv6Network)
 * @param ipv6SubnetLen the size of each node's IPv6 subnet (IPv6SubnetLen, 64 by default)
 * @param ipv6SubnetMin the first IPv6 subnet that may be leased (the network's first block is skipped, as for IPv4)
 * @param ipv6SubnetMax the last IPv6 subnet that may be leased
 * @param enableNFTables program nftables instead of iptables (flannel's EnableNFTables)
 */
public record NetConf(Ipv4Cidr network, int subnetLen, Ipv4Cidr subnetMin, Ipv4Cidr subnetMax,
                      boolean enableIPv4, boolean enableIPv6,
                      Ipv6Cidr ipv6Network, int ipv6SubnetLen, Ipv6Cidr ipv6SubnetMin, Ipv6Cidr ipv6SubnetMax,
                      BackendConf backend, boolean enableNFTables) {

    public Ipv4Cidr subnetAt(long index) {
        return new Ipv4Cidr(network.network().plus(index << (32 - subnetLen)), subnetLen);
    }

    /** Dual-stack: both families on. */
    public boolean dualStack() {
        return enableIPv4 && enableIPv6;
    }

    /** IPv6-only: no IPv4 network at all ({@code EnableIPv4: false}). */
    public boolean ipv6Only() {
        return !enableIPv4 && enableIPv6;
    }

    /** The cluster's networks of the families it carries: the IPv4 Network first, then IPv6Network. */
    public java.util.List<io.weft.core.net.IpCidr> networks() {
        java.util.List<io.weft.core.net.IpCidr> out = new java.util.ArrayList<>(2);
        if (enableIPv4 && network != null) out.add(network);
        if (enableIPv6 && ipv6Network != null) out.add(ipv6Network);
        return out;
    }
}
