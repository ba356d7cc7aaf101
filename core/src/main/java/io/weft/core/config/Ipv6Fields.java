package io.weft.core.config;

import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;

/**
 * Reads and checks net-conf.json's IPv6 fields as flannel's CheckNetworkConfig (pkg/subnet/config.go, its
 * {@code if config.EnableIPv6} half) does, with the IPv4 half's words: IPv6Network required, IPv6SubnetLen 64 by
 * default (the network's prefix + 2 when that is longer than /62, /124 the smallest network), IPv6SubnetMin and
 * IPv6SubnetMax inside the network and on a subnet boundary, the network's first block never leased. Without
 * EnableIPv6 the fields are still type-checked (flannel's JSON decoding fails on a malformed one) and then ignored.
 */
final class Ipv6Fields {
    /** The checked IPv6 pool, or null when EnableIPv6 is off. */
    record Pool(Ipv6Cidr network, int subnetLen, Ipv6Cidr subnetMin, Ipv6Cidr subnetMax) {}

    private Ipv6Fields() {}

    static Pool parse(NetConfParser.Fields top, boolean enabled) {
        String text = top.text("IPv6Network");
        Integer len = top.unsigned("IPv6SubnetLen");
        String minText = top.text("IPv6SubnetMin");
        String maxText = top.text("IPv6SubnetMax");
        Ipv6Cidr network = text == null ? null : cidr(top, text);
        if (!enabled) return null;
        // flannel: an empty IP6Net (no field, or ::/0) is "please define a correct IPv6Network parameter"
        if (network == null || network.prefix() == 0) {
            throw new ConfigException("IPv6Network", network == null ? "is required with EnableIPv6: true"
                    : network + " is not a pod network; give one such as \"fd00:10:244::/56\"");
        }
        int subnetLen;
        if (len != null && len != 0) {
            subnetLen = len;
            if (subnetLen < network.prefix() + 2 || subnetLen > 126) {
                throw new ConfigException("IPv6SubnetLen", subnetLen + " must be at least 2 longer than the IPv6Network's /"
                        + network.prefix() + " (room for four subnets) and at most 126");
            }
        } else if (network.prefix() > 124) {
            throw new ConfigException("IPv6Network", network + " is too small: the smallest IPv6Network is a /124"
                    + " (four /126 subnets) unless IPv6SubnetLen says otherwise");
        } else {
            subnetLen = network.prefix() <= 62 ? 64 : network.prefix() + 2;
        }
        Ipv6Cidr first = new Ipv6Cidr(network.network(), subnetLen);
        Ipv6Cidr min = bound(top, "IPv6SubnetMin", minText, network, subnetLen, first.next());
        Ipv6Cidr max = bound(top, "IPv6SubnetMax", maxText, network, subnetLen, lastBlock(network, subnetLen));
        if (min.compareTo(max) > 0) {
            throw new ConfigException("IPv6SubnetMin", min.network() + " is after IPv6SubnetMax " + max.network());
        }
        return new Pool(network, subnetLen, min, max);
    }

    private static Ipv6Cidr lastBlock(Ipv6Cidr network, int subnetLen) {
        return Ipv6Cidr.parseLenient(network.last() + "/" + subnetLen);
    }

    private static Ipv6Cidr cidr(NetConfParser.Fields f, String v) {
        Ipv6Cidr lenient;
        try {
            if (v.indexOf(':') < 0) throw new IllegalArgumentException("\"" + v + "\" is not an IPv6 network");
            lenient = Ipv6Cidr.parseLenient(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("IPv6Network", e.getMessage());
        }
        // flannel decodes it with net.ParseCIDR, which keeps the network: fd00::1/64 runs as fd00::/64 there
        if (!lenient.network().equals(Ipv6Address.parse(v.strip().substring(0, v.strip().indexOf('/'))))) {
            f.warn("IPv6Network " + v + " has host bits set; read as " + lenient + ", as flanneld reads it");
        }
        return lenient;
    }

    private static Ipv6Cidr bound(NetConfParser.Fields f, String field, String v, Ipv6Cidr network, int subnetLen,
                                  Ipv6Cidr dflt) {
        if (v == null) return dflt;
        Ipv6Address a;
        try {
            if (v.contains("/")) {
                // a CIDR must be exactly one subnet, as for SubnetMin
                Ipv6Cidr given = Ipv6Cidr.parse(v);
                if (given.prefix() != subnetLen) {
                    throw new ConfigException(field, v + " is not a /" + subnetLen + " subnet (IPv6SubnetLen is "
                            + subnetLen + "); write the subnet's first address, e.g. \"" + given.network() + "\"");
                }
                a = given.network();
            } else {
                a = Ipv6Address.parse(v);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
        // flannel treats :: as "not given" (ip.IsEmpty)
        if (a.high() == 0 && a.low() == 0) return dflt;
        if (!network.contains(a)) throw new ConfigException(field, a + " is outside IPv6Network " + network);
        Ipv6Cidr block = Ipv6Cidr.parseLenient(a + "/" + subnetLen);
        if (!block.network().equals(a)) {
            throw new ConfigException(field, a + " is not aligned to a /" + subnetLen + " subnet boundary");
        }
        return block;
    }
}
