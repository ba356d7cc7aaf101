package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.traffic.Transfer;
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
                Transfer.Udp r = Transfer.udp(o.pod(from), o.pod(2), Overlay.podIp(2).toString(), port, COUNT, 64);
                assertEquals(0, r.corrupted(), "corrupted datagrams from node " + from);
                int good = r.good();
                assertTrue(good >= COUNT * 99 / 100, "64-byte datagrams from node " + from + ": " + good + "/" + COUNT
                        + " arrived\n" + o.metrics(2));
            }
            long trains = Long.parseLong(UdpGroTest.metric(o.metrics(2), "weft_userspace_rx_gro_trains_total"));
            assertTrue(trains > 0, "node 2 received trains of small datagrams (or this proved nothing)");
        }
    }
}
