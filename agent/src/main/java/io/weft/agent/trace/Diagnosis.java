package io.weft.agent.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the traced packets stop and the likely cause, from both nodes' parts of a trace: the first hop, in the order
 * packets cross them, that saw none of the probe's packets when the hop before it did, then the evidence that names
 * the cause there: a finding in that node's tables (no lease, a missing route, neighbour or FDB entry), a firewall
 * counter that rose during the capture (a rule dropping UDP 8472, FORWARD's DROP policy), a userspace drop reason
 * that rose, an underlay MTU too small for full-size packets. The forward direction is checked first, then the
 * replies, then the full-size packets.
 */
public final class Diagnosis {
    /** One likely cause, with the node it is on (null when it is between the nodes). */
    public record Cause(String node, String text) {}

    /** The verdict: {@code healthy} when every hop saw the probe both ways; {@code stop} names where packets stop. */
    public record Result(boolean healthy, String stop, List<Cause> causes, List<Cause> alsoFound) {}

    private static final Set<String> BEFORE_VTEP = Set.of("LEASE_MISSING", "ROUTE_MISSING", "ROUTE_WRONG", "NEIGH_MISSING",
            "NEIGH_WRONG", "FORWARD_POLICY");
    private static final Set<String> BEFORE_UNDERLAY = Set.of("FDB_MISSING", "FDB_WRONG", "FIREWALL_PORT");
    private static final Set<String> AT_RECEIVER_VTEP = Set.of("FIREWALL_PORT");
    private static final Set<String> AT_RECEIVER_BRIDGE = Set.of("ROUTE_IN", "FORWARD_POLICY", "POD_UNKNOWN");
    private static final Set<String> AT_RECEIVER_POD = Set.of("POD_UNKNOWN");

    /** A hop in the order the packets of one direction cross it, and whose node sends them in that direction. */
    private record Step(NodeTrace node, NodeTrace.Hop hop, boolean sender) {}

    private final NodeTrace source;
    private final NodeTrace destination;
    private final List<Cause> used = new ArrayList<>();

    private Diagnosis(NodeTrace source, NodeTrace destination) {
        this.source = source;
        this.destination = destination;
    }

    /**
     * @param source      the source node's part (or the one node's, when both pods are on it); null when not asked
     * @param destination the destination node's part; null when it was not asked
     */
    public static Result of(NodeTrace source, NodeTrace destination) {
        return new Diagnosis(source, destination).run();
    }

    private Result run() {
        List<Step> forward = new ArrayList<>();
        if (source != null) for (NodeTrace.Hop h : source.hops()) forward.add(new Step(source, h, true));
        if (destination != null) for (NodeTrace.Hop h : destination.hops()) forward.add(new Step(destination, h, false));
        List<Step> reverse = new ArrayList<>();
        for (int i = forward.size() - 1; i >= 0; i--) {
            Step s = forward.get(i);
            reverse.add(new Step(s.node(), s.hop(), !s.sender()));
        }
        NodeTrace.Probe p = source == null ? null : source.probe();
        if (source == null) {
            List<Cause> causes = new ArrayList<>();
            String stop = locate(forward, "forward", false, causes);
            boolean any = forward.stream().anyMatch(st -> st.hop().count() != null && st.hop().count().fwd() > 0);
            if (!any) {
                return verdict(false, "nothing from the source pod arrived during the capture (the source node was not"
                        + " asked, so no probe was sent)", List.of());
            }
            if (stop == null) stop = locate(reverse, "reverse", false, causes);
            if (stop == null || stop.startsWith("the destination pod") && causes.isEmpty()) {
                return verdict(stop == null, stop, causes);
            }
            return verdict(false, stop, causes);
        }
        boolean anyTraffic = forward.stream().anyMatch(st -> st.hop().count() != null && st.hop().count().fwd() > 0);
        if (p != null && p.note() != null && p.sent() == 0 && !anyTraffic) {
            return verdict(false, "no probe was sent, and the pods sent nothing to each other meanwhile",
                    List.of(new Cause(source.node(), p.note())));
        }
        if (p == null && !anyTraffic) {
            return verdict(false, "no traffic from the source pod to the destination during the capture (with --watch,"
                    + " start it from the pod while the trace runs)", List.of());
        }
        List<Cause> causes = new ArrayList<>();
        String stop = locate(forward, "forward", false, causes);
        if (stop == null) stop = locate(reverse, "reverse", false, causes);
        if (stop == null && p != null && p.bigSent() > 0) {
            stop = locate(forward, "forward", true, causes);
            if (stop == null) stop = locate(reverse, "reverse", true, causes);
        }
        if (destination == null && !"both".equals(source.role()) && (stop == null || stop.startsWith("the destination pod"))) {
            causes.clear();
            if (p != null && p.sent() > 0 && p.received() == p.sent() && p.bigReceived() == p.bigSent()) {
                return verdict(true, null, List.of()); // every reply came back: healthy as far as one node can see
            }
            return verdict(false, "the requests left " + source.node() + "; the destination node was not asked, so what"
                    + " happened there is not known", List.of());
        }
        if (stop == null && p != null && p.received() < p.sent()) {
            return verdict(false, "every hop saw the packets, yet the pod got " + p.received() + " of " + p.sent()
                    + " replies", List.of());
        }
        return verdict(stop == null, stop, causes);
    }

    private Result verdict(boolean healthy, String stop, List<Cause> causes) {
        List<Cause> also = new ArrayList<>();
        for (NodeTrace n : nodes()) {
            for (NodeTrace.Finding f : n.findings()) {
                Cause c = new Cause(n.node(), f.text());
                if (!used.contains(c) && !causes.contains(c)) also.add(c);
            }
        }
        return new Result(healthy, stop, List.copyOf(causes), List.copyOf(also));
    }

    private List<NodeTrace> nodes() {
        List<NodeTrace> all = new ArrayList<>();
        if (source != null) all.add(source);
        if (destination != null) all.add(destination);
        return all;
    }

    private NodeTrace any() {
        return source != null ? source : destination;
    }

    /**
     * Finds the first step that saw none of the direction's packets after one that did; adds the causes found there.
     * Returns where, or null when the packets went all the way (as far as the nodes asked can tell).
     */
    private String locate(List<Step> chain, String direction, boolean big, List<Cause> causes) {
        Step seen = null;
        for (Step s : chain) {
            NodeTrace.Count c = s.hop().count();
            if (c == null || c.error() != null) continue; // not captured: neither evidence for nor against
            long n = count(c, direction, big);
            if (n > 0) {
                seen = s;
                continue;
            }
            if (seen == null) {
                if (big || !"forward".equals(direction)) continue; // the first hop missing replies is judged below
                causes.add(new Cause(s.node().node(), "the probe's packets were not seen on " + s.hop().iface()
                        + ": they did not leave the source pod (does it have a route to the destination?)"));
                return "the source pod";
            }
            String where = describe(seen, s, direction, big);
            explain(seen, s, direction, big, causes);
            return where;
        }
        if (seen == null && !big && "reverse".equals(direction)) {
            // no hop saw a reply: the destination pod did not answer
            Step first = chain.getFirst();
            addFindings(first.node(), "forward", AT_RECEIVER_POD, causes);
            if (causes.isEmpty()) {
                causes.add(new Cause(first.node().node(), "the destination pod received the requests but sent no reply:"
                        + " is something else using its address, or does its own firewall drop them?"));
            }
            return "the destination pod (no replies)";
        }
        return null;
    }

    private static long count(NodeTrace.Count c, String direction, boolean big) {
        if ("forward".equals(direction)) return big ? c.fwdBig() : c.fwd() - c.fwdBig();
        return big ? c.revBig() : c.rev() - c.revBig();
    }

    private static String describe(Step seen, Step lost, String direction, boolean big) {
        String what = (big ? "full-size " : "") + ("forward".equals(direction) ? "requests" : "replies");
        return what + " seen on " + seen.hop().iface() + " of " + seen.node().node() + " but not on " + lost.hop().iface()
                + " of " + lost.node().node();
    }

    /** The causes that fit packets going missing between {@code seen} and {@code lost}. */
    private void explain(Step seen, Step lost, String direction, boolean big, List<Cause> causes) {
        NodeTrace node = lost.node();
        String kind = lost.hop().kind();
        if (big) {
            for (NodeTrace n : nodes()) addFindings(n, "both", Set.of("MTU"), causes);
            if (causes.isEmpty()) {
                causes.add(new Cause(seen.node() == lost.node() ? node.node() : null, "full-size packets ("
                        + any().mtu() + " bytes) stop here while small ones pass: an MTU on the way is smaller than the"
                        + " overlay needs (the pods' MTU, plus 50 bytes of VXLAN on the underlay)"));
            }
            return;
        }
        if (seen.node() != lost.node()) {
            // left one node's underlay, never reached the other's
            causes.add(new Cause(null, "the datagrams leave " + seen.node().node() + "'s " + seen.hop().iface()
                    + " for " + lost.node().publicIp() + ":" + any().port() + " and never reach " + lost.node().node()
                    + "'s " + lost.hop().iface() + ": something between the nodes drops them (a firewall or security"
                    + " group that blocks UDP " + any().port() + ", or a path MTU smaller than " + lost.hop().iface() + "'s)"));
            return;
        }
        addDrops(node, causes);
        if (lost.sender()) {
            switch (kind) {
                case NodeTrace.Hop.VTEP -> addFindings(node, direction, BEFORE_VTEP, causes);
                case NodeTrace.Hop.UNDERLAY -> addFindings(node, direction, lost.hop().encap() ? BEFORE_UNDERLAY : BEFORE_VTEP, causes);
                default -> { }
            }
            if (causes.isEmpty()) {
                causes.add(new Cause(node.node(), node.node() + " does not pass them from " + seen.hop().iface() + " to "
                        + lost.hop().iface() + "; the kernel's way: " + lost.hop().forward()));
            }
        } else {
            switch (kind) {
                case NodeTrace.Hop.VTEP -> {
                    addFindings(node, direction, AT_RECEIVER_VTEP, causes);
                    if (causes.isEmpty()) {
                        causes.add(new Cause(node.node(), "VXLAN datagrams reach " + node.node() + "'s " + seen.hop().iface()
                                + " but not its VTEP " + lost.hop().iface() + ": a firewall on " + node.node()
                                + " drops UDP " + node.port() + " (look at iptables -L INPUT and nft list ruleset there),"
                                + " or its VXLAN device listens on another port or VNI"));
                    }
                }
                case NodeTrace.Hop.BRIDGE, NodeTrace.Hop.UNDERLAY -> addFindings(node, direction, AT_RECEIVER_BRIDGE, causes);
                case NodeTrace.Hop.POD -> addFindings(node, direction, AT_RECEIVER_POD, causes);
                default -> { }
            }
            if (causes.isEmpty()) {
                causes.add(new Cause(node.node(), node.node() + " receives them on " + seen.hop().iface()
                        + " but does not pass them on to " + lost.hop().iface() + "; the kernel's way: "
                        + ("forward".equals(direction) ? lost.hop().forward() : lost.hop().reverse())));
            }
        }
    }

    /** The drop counters that rose on {@code n} during the capture: the most direct evidence there is. */
    private void addDrops(NodeTrace n, List<Cause> causes) {
        for (String d : n.drops()) {
            causes.add(new Cause(n.node(), "a firewall verdict dropped them on " + n.node() + ": " + d
                    + (d.contains("FORWARD policy DROP") ? "; accept the pod network in FORWARD, or run weftd with"
                    + " --iptables-forward-rules (the default)" : d.contains("INPUT") || d.contains("OUTPUT")
                    ? "; allow UDP " + n.port() + " between the nodes" : "")));
        }
        for (Map.Entry<String, Long> e : n.userspaceDrops().entrySet()) {
            causes.add(new Cause(n.node(), "weftd's userspace datapath on " + n.node() + " dropped " + e.getValue()
                    + " packets: " + e.getKey() + " — " + reason(e.getKey())));
        }
    }

    private void addFindings(NodeTrace n, String direction, Set<String> codes, List<Cause> causes) {
        for (NodeTrace.Finding f : n.findings()) {
            if (!codes.contains(f.code())) continue;
            if (!f.direction().equals("both") && !direction.equals("both") && !f.direction().equals(direction)) continue;
            Cause c = new Cause(n.node(), f.text());
            if (!causes.contains(c)) causes.add(c);
            used.add(c);
        }
    }

    /** What a userspace drop reason means for the operator. */
    static String reason(String key) {
        String r = key.contains(" ") ? key.substring(0, key.indexOf(' ')) : key;
        return switch (r) {
            case "unknown_source" -> "datagrams from an address that holds no lease (a node whose lease is missing, or"
                    + " a public IP that differs from the one it published)";
            case "wrong_vni" -> "datagrams for another VNI: the nodes' Backend.VNI differ";
            case "bad_flags" -> "VXLAN headers with flags other than 0x08 (not a VXLAN sender weft talks to)";
            case "not_our_mac" -> "inner frames for another VTEP's MAC: the sender's neighbour entry for this node is stale";
            case "oversize" -> "inner frames larger than the overlay MTU: the sender's MTU is larger than this node's";
            case "runt" -> "datagrams too short to hold a frame";
            case "tap_write" -> "the TAP refused frames (the kernel side of flannel.N is down or full)";
            case "no_fdb" -> "no FDB entry for the destination VTEP: the peer's lease or VtepMAC is unknown here";
            case "tx_error" -> "sending failed (a firewall rejecting UDP, no route to the peer, a socket error)";
            default -> "see weft_userspace_drops_total";
        };
    }
}
