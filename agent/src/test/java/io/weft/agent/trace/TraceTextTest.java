package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.status.NodeStatus;
import io.weft.core.net.Ipv4Address;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a trace reads: the path drawn as the seed notes draw it, each hop's counts, the verdict and its causes. */
class TraceTextTest {
    @Test
    void drawsThePathAsTheSeedNotesDo() {
        NodeTrace src = DiagnosisTest.node("n1", "source", List.of(), List.of(), Map.of(), DiagnosisTest.probe(3, 2),
                DiagnosisTest.all(), DiagnosisTest.all(), DiagnosisTest.all(), DiagnosisTest.all());
        NodeTrace dst = DiagnosisTest.node("n2", "destination", List.of(), List.of(), Map.of(), null,
                DiagnosisTest.all(), DiagnosisTest.all(), DiagnosisTest.all(), DiagnosisTest.all());
        assertEquals("pod 10.244.1.5 → vethpa → cni0 → flannel.1 → eth0 ══ VXLAN UDP 8472 ══> eth0 → flannel.1 → cni0 → vethpb"
                + " → pod 10.244.2.7", TraceText.drawing("10.244.1.5", "10.244.2.7", src, dst));
        assertEquals("pod 10.244.1.5 → vethpa → cni0 → flannel.1 → eth0 ══ VXLAN UDP 8472 ══> (node not asked) → pod 10.244.2.7",
                TraceText.drawing("10.244.1.5", "10.244.2.7", src, null));
        String text = TraceText.render("10.244.1.5", "10.244.2.7", src, dst, List.of("a note"), Diagnosis.of(src, dst));
        assertTrue(text.contains(" 1 vethpa     5 (2 full-size) first 00:00:00.000001 5 (2 full-size) first 00:00:00.000001"), text);
        assertTrue(text.contains("probe      3/3 pings answered, 2/2 full-size (1450 bytes, DF) answered"), text);
        assertTrue(text.contains("note       a note"), text);
        assertTrue(text.contains("verdict    healthy"), text);
    }

    @Test
    void namesTheStopAndItsCause() {
        NodeTrace src = DiagnosisTest.node("n1", "source", List.of(DiagnosisTest.f("FDB_MISSING", "forward", "no FDB entry")),
                List.of(), Map.of(), DiagnosisTest.probe(0, 0), DiagnosisTest.fwdOnly(), DiagnosisTest.fwdOnly(),
                DiagnosisTest.fwdOnly(), DiagnosisTest.none());
        String text = TraceText.render("10.244.1.5", "10.244.2.7", src, null, List.of(), Diagnosis.of(src, null));
        assertTrue(text.contains("verdict    STOPPED: requests seen on flannel.1 of n1 but not on eth0 of n1\nlikely cause\n"
                + "  - [n1] no FDB entry\n"), text);
    }

    @Test
    void refusesWhatNoNodeCanTrace() {
        NodeStatus s = new NodeStatus("t", "n1", true, null, "10.244.0.0/16",
                new NodeStatus.Lease("10.244.1.0/24", "172.31.0.1", "t", "store"), null, List.of(), List.of(), null, List.of(),
                List.of());
        Ipv4Address a = Ipv4Address.parse("10.244.1.5");
        assertEquals("10.9.9.9 is outside the pod network 10.244.0.0/16: give two pod addresses",
                TraceHandler.refuse(s, a, Ipv4Address.parse("10.9.9.9")));
        assertEquals("neither 10.244.2.5 nor 10.244.3.5 is on this node (10.244.1.0/24): ask the node of one of them",
                TraceHandler.refuse(s, Ipv4Address.parse("10.244.2.5"), Ipv4Address.parse("10.244.3.5")));
        assertNull(TraceHandler.refuse(s, a, Ipv4Address.parse("10.244.2.5")));
    }

    /** A wireguard node says what trace does not do yet and where to look instead, rather than drawing a VXLAN path. */
    @Test
    void aWireGuardNodeSaysTraceDoesNotDrawItsPathYet() {
        NodeStatus s = new NodeStatus("t", "n1", true, null, "10.244.0.0/16",
                new NodeStatus.Lease("10.244.1.0/24", "172.31.0.1", "t", "store"), new NodeStatus.Backend("wireguard",
                "kernel", "flannel-wg", true, 0, 51820, 1420, null, "eth0", "172.31.0.1", 1500, "WireGuard on kernel", null),
                List.of(), List.of(), null, List.of(), List.of());
        assertEquals("this node runs the wireguard backend (flannel-wg, kernel datapath): weftd trace does not draw WireGuard"
                + " paths yet; weftd status shows each peer with its key, whether the device holds it and its counters,"
                + " and tcpdump -i flannel-wg shows the pods' packets",
                TraceHandler.refuse(s, Ipv4Address.parse("10.244.1.5"), Ipv4Address.parse("10.244.2.5")));
    }
}
