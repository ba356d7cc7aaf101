package io.weft.core.config;

import io.weft.core.net.Ipv4Cidr;

/**
 * flannel's network configuration (net-conf.json), with every default already applied.
 *
 * @param subnetMin the first subnet that may be leased (flannel skips the network's first block)
 * @param subnetMax the last subnet that may be leased
 * @param enableNFTables program nftables instead of iptables (flannel's EnableNFTables)
 */
public record NetConf(Ipv4Cidr network, int subnetLen, Ipv4Cidr subnetMin, Ipv4Cidr subnetMax,
                      boolean enableIPv4, boolean enableIPv6, String ipv6Network, BackendConf backend,
                      boolean enableNFTables) {

    public Ipv4Cidr subnetAt(long index) {
        return new Ipv4Cidr(network.network().plus(index << (32 - subnetLen)), subnetLen);
    }
}
