package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Where packets stop and why, table-driven: each row is what the two nodes' captures, tables and counters say for one
 * fault, and the words the diagnosis must name it with. The captures are written out as the real traces of these
 * faults show them (TraceFaultsTest runs them on real kernels).
 */
class DiagnosisTest {
    static final String T = "2026-12-07T00:00:00.000001Z";

    /** Per hop: requests, full-size requests, replies, full-size replies seen. */
    record Seen(long fwd, long fwdBig, long rev, long revBig) {}

    static Seen all() {
        return new Seen(5, 2, 5, 2);
    }

    static Seen none() {
        return new Seen(0, 0, 0, 0);
    }

    static Seen smallOnly() {
        return new Seen(3, 0, 3, 0);
    }

    static Seen fwdOnly() {
        return new Seen(5, 2, 0, 0);
    }

    static NodeTrace node(String name, String role, List<NodeTrace.Finding> findings, List<String> drops,
                          Map<String, Long> usDrops, NodeTrace.Probe probe, Seen... seen) {
        String[][] hops = role.equals("source")
                ? new String[][] {{"vethpa", "pod"}, {"cni0", "bridge"}, {"flannel.1", "vtep"}, {"eth0", "underlay"}}
                : new String[][] {{"eth0", "underlay"}, {"flannel.1", "vtep"}, {"cni0", "bridge"}, {"vethpb", "pod"}};
        List<NodeTrace.Hop> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Seen s = seen[i];
            out.add(new NodeTrace.Hop(hops[i][0], hops[i][1], hops[i][0], "fwd way", "rev way", hops[i][1].equals("underlay"),
                    new NodeTrace.Count(s.fwd(), s.fwdBig(), s.fwd() > 0 ? T : null, s.rev(), s.revBig(), s.rev() > 0 ? T : null, null)));
        }
        return new NodeTrace(name, name.equals("n1") ? "172.31.0.1" : "172.31.0.2", "10.244.x.0/24", role, "vxlan", 8472, 1450,
                out, findings, probe, drops, usDrops, true);
    }

    static NodeTrace.Probe probe(int received, int bigReceived) {
        return new NodeTrace.Probe(3, received, 1450, 2, bigReceived, null);
    }

    static NodeTrace.Finding f(String code, String direction, String text) {
        return new NodeTrace.Finding(code, direction, text);
    }

    static Arguments row(String name, NodeTrace src, NodeTrace dst, String stopAt, String cause) {
        return Arguments.of(name, src, dst, stopAt, cause);
    }

    static Stream<Arguments> faults() {
        List<NodeTrace.Finding> no = List.of();
        return Stream.of(
                row("route deleted on the source", node("n1", "source",
                                List.of(f("ROUTE_MISSING", "forward", "this node has no route to 10.244.2.5")), List.of(), Map.of(),
                                probe(0, 0), fwdOnly(), fwdOnly(), none(), none()),
                        node("n2", "destination", no, List.of(), Map.of(), null, none(), none(), none(), none()),
                        "not on flannel.1 of n1", "no route to 10.244.2.5"),
                row("neighbour deleted on the source", node("n1", "source",
                                List.of(f("NEIGH_MISSING", "forward", "no neighbour entry for 10.244.2.0")), List.of(), Map.of(),
                                probe(0, 0), fwdOnly(), fwdOnly(), none(), none()),
                        node("n2", "destination", no, List.of(), Map.of(), null, none(), none(), none(), none()),
                        "not on flannel.1 of n1", "no neighbour entry"),
                row("FDB deleted on the source", node("n1", "source",
                                List.of(f("FDB_MISSING", "forward", "no FDB entry for 0a:00:00:00:00:02")), List.of(), Map.of(),
                                probe(0, 0), fwdOnly(), fwdOnly(), fwdOnly(), none()),
                        node("n2", "destination", no, List.of(), Map.of(), null, none(), none(), none(), none()),
                        "not on eth0 of n1", "no FDB entry"),
                row("lease of the destination removed", node("n1", "source",
                                List.of(f("LEASE_MISSING", "both", "no lease covers 10.244.2.5"),
                                        f("ROUTE_MISSING", "forward", "this node has no route to 10.244.2.5")), List.of(), Map.of(),
                                probe(0, 0), fwdOnly(), fwdOnly(), none(), none()),
                        null, "not on flannel.1 of n1", "no lease covers"),
                row("firewall drops UDP 8472 on the destination", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", no, List.of("iptables -A INPUT -p udp -m udp --dport 8472 -j DROP (+5 packets)"),
                                Map.of(), null, fwdOnly(), none(), none(), none()),
                        "not on flannel.1 of n2", "--dport 8472 -j DROP"),
                row("firewall drops UDP 8472 on the destination, counters unreadable", node("n1", "source", no, List.of(),
                                Map.of(), probe(0, 0), fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", no, List.of(), Map.of(), null, fwdOnly(), none(), none(), none()),
                        "not on flannel.1 of n2", "a firewall on n2 drops UDP 8472"),
                row("FORWARD policy DROP on the destination", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", List.of(f("FORWARD_POLICY", "both", "the iptables FORWARD policy is DROP")),
                                List.of("iptables FORWARD policy DROP (+5 packets)"), Map.of(), null,
                                fwdOnly(), fwdOnly(), none(), none()),
                        "not on cni0 of n2", "FORWARD policy DROP (+5 packets)"),
                row("something between the nodes", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", no, List.of(), Map.of(), null, none(), none(), none(), none()),
                        "not on eth0 of n2", "something between the nodes drops them"),
                row("MTU lowered on the destination's underlay", node("n1", "source", no, List.of(), Map.of(), probe(3, 0),
                                new Seen(5, 2, 3, 0), new Seen(5, 2, 3, 0), new Seen(5, 2, 3, 0), new Seen(5, 2, 3, 0)),
                        node("n2", "destination", List.of(f("MTU", "both", "eth0's MTU is 1000, less than the pods' 1450")),
                                List.of(), Map.of(), null, smallOnly(), smallOnly(), smallOnly(), smallOnly()),
                        "full-size requests seen on eth0 of n1 but not on eth0 of n2", "eth0's MTU is 1000"),
                row("userspace datapath drops another VNI", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", no, List.of(), Map.of("wrong_vni (from/to 172.31.0.1)", 5L), null,
                                fwdOnly(), none(), none(), none()),
                        "not on flannel.1 of n2", "Backend.VNI differ"),
                row("destination pod does not answer", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", no, List.of(), Map.of(), null, fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        "the destination pod", "sent no reply"),
                row("no pod with the destination address", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        node("n2", "destination", List.of(f("POD_UNKNOWN", "both", "no pod answers for 10.244.2.77 on cni0")),
                                List.of(), Map.of(), null, fwdOnly(), fwdOnly(), fwdOnly(), none()),
                        "not on vethpb of n2", "no pod answers for 10.244.2.77"),
                row("destination not asked, no replies", node("n1", "source", no, List.of(), Map.of(), probe(0, 0),
                                fwdOnly(), fwdOnly(), fwdOnly(), fwdOnly()),
                        null, "the destination node was not asked", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void namesWhereAndWhy(String name, NodeTrace src, NodeTrace dst, String stopAt, String cause) {
        Diagnosis.Result r = Diagnosis.of(src, dst);
        assertFalse(r.healthy(), name);
        assertTrue(r.stop().contains(stopAt), "stop: " + r.stop());
        if (cause != null) {
            assertFalse(r.causes().isEmpty(), "a cause for " + name);
            assertTrue(r.causes().getFirst().text().contains(cause), "first cause: " + r.causes());
        }
    }

    static Stream<Arguments> healthy() {
        return Stream.of(
                Arguments.of("both nodes asked", node("n1", "source", List.of(), List.of(), Map.of(), probe(3, 2),
                        all(), all(), all(), all()), node("n2", "destination", List.of(), List.of(), Map.of(), null,
                        all(), all(), all(), all())),
                Arguments.of("destination not asked, every reply back", node("n1", "source", List.of(), List.of(), Map.of(),
                        probe(3, 2), all(), all(), all(), all()), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("healthy")
    void healthyWhenEveryHopSawBothWays(String name, NodeTrace src, NodeTrace dst) {
        Diagnosis.Result r = Diagnosis.of(src, dst);
        assertTrue(r.healthy(), r.toString());
        assertEquals(List.of(), r.causes());
    }
}
