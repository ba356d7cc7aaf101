package io.weft.agent.ipmasq;

import io.weft.core.iproute.Iptables;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Cidr;
import java.util.List;

/**
 * flannel's masquerade rules, in flannel's chains (FLANNEL-POSTRTG in nat, FLANNEL-FWD in filter) so that a
 * node moved from flannel to weft ends up with the same rules, not two copies: pod traffic leaving the cluster
 * network is masqueraded, traffic between pods is not, and the host forwards pod traffic.
 */
public final class IpMasq {
    public static final String NAT_CHAIN = "FLANNEL-POSTRTG";
    public static final String FWD_CHAIN = "FLANNEL-FWD";
    private static final String MASQ_COMMENT = "-m comment --comment \"flanneld masq\"";
    private static final String FWD_COMMENT = "-m comment --comment \"flanneld forward\"";

    private final Iptables iptables;

    public IpMasq(Netns ns) {
        this.iptables = new Iptables(ns);
    }

    public static List<String> natRules(Ipv4Cidr network, Ipv4Cidr subnet) {
        String n = network.toString();
        String s = subnet.toString();
        return List.of(
                "-m mark --mark 0x4000/0x4000 " + MASQ_COMMENT + " -j RETURN",
                "-s " + s + " -d " + n + " " + MASQ_COMMENT + " -j RETURN",
                "-s " + n + " -d " + s + " " + MASQ_COMMENT + " -j RETURN",
                "! -s " + n + " -d " + s + " " + MASQ_COMMENT + " -j RETURN",
                "-s " + n + " ! -d 224.0.0.0/4 " + MASQ_COMMENT + " -j MASQUERADE --random-fully",
                "! -s " + n + " -d " + n + " " + MASQ_COMMENT + " -j MASQUERADE --random-fully");
    }

    public static List<String> forwardRules(Ipv4Cidr network) {
        return List.of(
                "-s " + network + " " + FWD_COMMENT + " -j ACCEPT",
                "-d " + network + " " + FWD_COMMENT + " -j ACCEPT");
    }

    public void install(Ipv4Cidr network, Ipv4Cidr subnet) {
        iptables.replaceChain("nat", NAT_CHAIN, natRules(network, subnet));
        iptables.ensureRule("nat", "POSTROUTING", List.of("-m", "comment", "--comment", "flanneld masq", "-j", NAT_CHAIN));
        iptables.replaceChain("filter", FWD_CHAIN, forwardRules(network));
        iptables.ensureRule("filter", "FORWARD", List.of("-m", "comment", "--comment", "flanneld forward", "-j", FWD_CHAIN));
    }
}
