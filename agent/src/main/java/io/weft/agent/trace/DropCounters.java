package io.weft.agent.trace;

import io.weft.agent.status.NodeStatus;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.Iptables;
import io.weft.core.iproute.Netns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's drop counters at one moment: iptables' filter rules that drop or reject, the DROP policies of its
 * built-in chains, and the userspace datapath's drops by peer and reason. Two readings, before and after a trace's
 * capture, tell which drops the flow met: the counter that rose names the rule, or the reason.
 */
final class DropCounters {
    private final Map<String, Long> netfilter;
    private final Map<String, Long> userspace;

    private DropCounters(Map<String, Long> netfilter, Map<String, Long> userspace) {
        this.netfilter = netfilter;
        this.userspace = userspace;
    }

    static DropCounters read(Iptables iptables, NodeStatus status) {
        Map<String, Long> nf = new LinkedHashMap<>();
        try {
            if (iptables.installed()) {
                Iptables.Counters c = iptables.counters("filter");
                c.policies().values().stream().filter(p -> "DROP".equals(p.target()))
                        .forEach(p -> nf.put("iptables " + p.chain() + " policy DROP", p.packets()));
                for (Iptables.CountedRule r : c.rules()) {
                    if (r.drops()) nf.merge("iptables -A " + r.chain() + " " + r.rule(), r.packets(), Long::sum);
                }
            }
        } catch (IpException e) {
            // no iptables verdicts to report; the capture still tells where packets stop
        }
        Map<String, Long> us = new LinkedHashMap<>();
        for (NodeStatus.Peer p : status.peers()) add(us, "from/to " + p.publicIp(), p.counters());
        if (status.backend() != null) add(us, "from addresses that are no peer", status.backend().strangers());
        return new DropCounters(nf, us);
    }

    private static void add(Map<String, Long> into, String who, NodeStatus.Counters c) {
        if (c == null) return;
        c.drops().forEach((reason, n) -> into.put(reason + " (" + who + ")", n));
    }

    static DropCounters read(Netns ns, NodeStatus status) {
        return read(new Iptables(ns), status);
    }

    /** The netfilter drops that rose since {@code before}, with how many packets, e.g. "... (+3 packets)". */
    List<String> netfilterRoseSince(DropCounters before) {
        List<String> out = new ArrayList<>();
        netfilter.forEach((k, v) -> {
            long d = v - before.netfilter.getOrDefault(k, 0L);
            if (d > 0) out.add(k + " (+" + d + " packets)");
        });
        return out;
    }

    /** The userspace drop reasons that rose since {@code before}, with by how much. */
    Map<String, Long> userspaceRoseSince(DropCounters before) {
        Map<String, Long> out = new LinkedHashMap<>();
        userspace.forEach((k, v) -> {
            long d = v - before.userspace.getOrDefault(k, 0L);
            if (d > 0) out.put(k, d);
        });
        return out;
    }
}
