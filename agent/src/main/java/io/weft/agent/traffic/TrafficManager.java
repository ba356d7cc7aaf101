package io.weft.agent.traffic;

import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * One way of programming the node's firewall for pod traffic, as flannel's {@code trafficmngr.TrafficManager}: iptables
 * or nftables. Both keep the rules they own exactly as wanted and leave everything else on the node alone.
 */
interface TrafficManager {

    /**
     * What the node should carry: masquerade rules for {@code subnet} inside {@code network} when {@code masq},
     * accept rules for the network in the forward path when {@code forward}; the same for IPv6 with
     * {@code network6} and {@code subnet6}. A family whose network is null (IPv4 on an IPv6-only cluster, IPv6
     * without EnableIPv6) is left alone, as flannel leaves it.
     */
    record Wanted(Ipv4Cidr network, Ipv4Cidr subnet, Ipv6Cidr network6, Ipv6Cidr subnet6, boolean masq, boolean forward,
                  boolean randomFullyDisable) {

        /** IPv4 only. */
        Wanted(Ipv4Cidr network, Ipv4Cidr subnet, boolean masq, boolean forward, boolean randomFullyDisable) {
            this(network, subnet, null, null, masq, forward, randomFullyDisable);
        }

        /** The families the node carries, each as {network, subnet}: IPv4 first. */
        List<Family> families() {
            List<Family> out = new ArrayList<>(2);
            if (network != null) out.add(new Family(network, subnet));
            if (network6 != null) out.add(new Family(network6, subnet6));
            return out;
        }

        /** "10.244.0.0/16", "fd00:10:244::/56" or both, for log lines. */
        String networks() {
            return String.join(" and ", families().stream().map(f -> f.network().toString()).toList());
        }
    }

    /** One family's cluster network and this node's subnet in it. */
    record Family(IpCidr network, IpCidr subnet) {
        boolean v6() {
            return network.bits() == 128;
        }

        /** The multicast range flannel leaves unmasqueraded: 224.0.0.0/4, or ff00::/8. */
        String multicast() {
            return v6() ? "ff00::/8" : "224.0.0.0/4";
        }
    }

    /** "iptables" or "nftables", for log lines. */
    String mode();

    /** Whether this node has the tool this mode drives. */
    boolean available();

    /** Brings the rules this manager owns to exactly {@code w}; returns what it had to rewrite (empty: nothing). */
    List<String> ensure(Wanted w);

    /**
     * What the node has of the rules {@code w} asks for, read without changing anything: one state per chain this
     * mode owns ({@code present}, {@code missing}, {@code changed}, {@code off} when not wanted).
     */
    List<RuleState> inspect(Wanted w);

    /** Removes every rule this manager owns (flannel's {@code CleanUp}); returns what it removed. */
    List<String> cleanUp();
}
