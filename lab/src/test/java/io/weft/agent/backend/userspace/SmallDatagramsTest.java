package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Small UDP datagrams (64 bytes, 20 per millisecond) into a userspace node, from another userspace node (whose runs
 * of same-size frames leave as one UDP GSO send, and over a veth arrive as one train) and from a kernel node: every
 * one arrives intact. A train shorter than the MTU once delivered only its first datagram. Here on veths with their
 * default offloads; {@link SmallDatagramsNicTest} on the NIC-like underlay, where GRO makes the trains.
 */
@Timeout(180)
class SmallDatagramsTest {
    static final int COUNT = 10_000;

    boolean nicLike() {
        return false;
    }

    @Test
    void smallDatagramsFromUserspaceAndKernelNodesAllArrive() throws Exception {
        try (Overlay o = new Overlay(nicLike() ? "wsdn" : "wsd", 3, nicLike())) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, 1, 3);
            o.userspaceVtep(3, true, 2);
            assertTrue(o.ping(3, 2, 2, 56) && o.ping(1, 2, 2, 56), "pods reach node 2's pod");
            for (int from : new int[] {3, 1}) {
                int port = 5500 + from;
                Process sink = Overlay.tool(o.pod(2), "udp-sink", Integer.toString(port), Integer.toString(COUNT), "3000");
                Overlay.await(sink, "LISTENING", 30);
                Process src = Overlay.tool(o.pod(from), "udp-source", Overlay.podIp(2).toString(), Integer.toString(port),
                        Integer.toString(COUNT), "64");
                Overlay.await(src, "SENT", 60);
                String[] r = Overlay.await(sink, "UDP", 30).split(" ");
                assertEquals(0, Integer.parseInt(r[2]), "corrupted datagrams from node " + from);
                int good = Integer.parseInt(r[1]);
                assertTrue(good >= COUNT * 99 / 100, "64-byte datagrams from node " + from + ": " + good + "/" + COUNT
                        + " arrived\n" + o.metrics(2));
            }
            long trains = Long.parseLong(UdpGroTest.metric(o.metrics(2), "weft_userspace_rx_gro_trains_total"));
            assertTrue(trains > 0, "node 2 received trains of small datagrams (or this proved nothing)");
        }
    }
}
