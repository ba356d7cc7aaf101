package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.netns.NetnsLab;
import io.weft.lab.overlay.Overlay;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP_GRO receive (the default) on an underlay that does GRO, as a real NIC does: the kernel hands the
 * userspace datapath one buffer per train of a flow's datagrams, which it splits and coalesces back into TCP
 * superframes. Streams from a kernel VXLAN node and from another userspace node (UDP GSO sends) must arrive
 * intact (SHA-256), and the receiving node's socket must have taken far fewer receives than the packets it
 * delivered, or GRO never happened and this test proves nothing.
 * The recvmmsg path (UDP_GRO off) is covered by {@link GsoFallbackTest}.
 */
@Timeout(240)
class UdpGroTest {
    @Test
    void datagramTrainsFromKernelAndUserspaceNodesArriveIntact() throws Exception {
        try (Overlay o = new Overlay("wgro", 3, true)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, 1, 3);
            o.userspaceVtep(3, true, 2);
            String ready = Files.readString(o.log(2)).lines().filter(l -> l.startsWith("READY")).findFirst().orElseThrow();
            assertTrue(ready.contains("rx=recvmmsg+udp-gro"), "UDP_GRO is on by default: " + ready);
            assertTrue(o.ping(1, 2, 2, 1422), "full-MTU kernel -> userspace");

            trainsArrive(o, 1, 5411);
            trainsArrive(o, 3, 5413);
            GsoFallbackTest.tcp(o, 2, 1, 5412);
        }
    }

    /** A 64 MiB stream from node {@code from}'s pod to node 2's, intact and received in trains. */
    static void trainsArrive(Overlay o, int from, int port) throws Exception {
        String peer = Overlay.publicIp(from).toString();
        long packets0 = o.counter(2, "weft_userspace_rx_packets_total", peer, null);
        long receives0 = udpInDatagrams(o.node(2));
        GsoFallbackTest.tcp(o, from, 2, port);
        long packets = o.counter(2, "weft_userspace_rx_packets_total", peer, null) - packets0;
        long receives = udpInDatagrams(o.node(2)) - receives0;
        assertTrue(packets > 40_000, "64 MiB is over 40k VXLAN packets, counted " + packets + " from " + peer);
        assertTrue(receives * 2 < packets, "GRO trains from " + peer + ": " + receives + " socket receives for " + packets + " packets");
        String m = o.metrics(2);
        long trains = Long.parseLong(metric(m, "weft_userspace_rx_gro_trains_total"));
        long inTrains = Long.parseLong(metric(m, "weft_userspace_rx_gro_train_datagrams_total"));
        assertTrue(trains > 0 && inTrains > 2 * trains, "/metrics counts the trains: " + trains + " with " + inTrains + " datagrams");
    }

    static String metric(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{")).findFirst().orElseThrow(() -> new AssertionError(name + " missing"))
                .replaceAll(".* ", "");
    }

    /** The namespace's UDP InDatagrams: with GRO, one per train handed to a socket. */
    static long udpInDatagrams(String ns) {
        List<String> udp = NetnsLab.exec(ns, "cat", "/proc/net/snmp").lines().filter(l -> l.startsWith("Udp:")).toList();
        List<String> names = List.of(udp.get(0).split("\\s+"));
        return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("InDatagrams")]);
    }
}
