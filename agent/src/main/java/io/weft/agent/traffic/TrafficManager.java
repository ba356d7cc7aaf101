package io.weft.agent.traffic;

import io.weft.core.net.Ipv4Cidr;
import java.util.List;

/**
 * One way of programming the node's firewall for pod traffic, as flannel's {@code trafficmngr.TrafficManager}: iptables
 * or nftables. Both keep the rules they own exactly as wanted and leave everything else on the node alone.
 */
interface TrafficManager {

    /**
     * What the node should carry: masquerade rules for {@code subnet} inside {@code network} when {@code masq},
     * accept rules for the network in the forward path when {@code forward}.
     */
    record Wanted(Ipv4Cidr network, Ipv4Cidr subnet, boolean masq, boolean forward, boolean randomFullyDisable) {}

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
