package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.NetnsLab;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP_GRO receive (the default) on an underlay that does GRO, as a real NIC does: the kernel hands the
 * userspace datapath one buffer per train of a flow's datagrams, which it splits and coalesces back into TCP
 * superframes. A kernel VXLAN node's stream must arrive intact (SHA-256), and the node's socket must have taken
 * far fewer receives than the packets it delivered, or GRO never happened and this test proves nothing.
 * The recvmmsg path (UDP_GRO off) is covered by {@link GsoFallbackTest}.
 */
@Timeout(240)
class UdpGroTest {
    @Test
    void datagramTrainsFromAKernelNodeArriveIntact() throws Exception {
        try (Overlay o = new Overlay("wgro", 2, true)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, 1);
            String ready = Files.readString(o.log(2)).lines().filter(l -> l.startsWith("READY")).findFirst().orElseThrow();
            assertTrue(ready.contains("rx=recvmmsg+udp-gro"), "UDP_GRO is on by default: " + ready);
            assertTrue(o.ping(1, 2, 2, 1422), "full-MTU kernel -> userspace");

            String kernelNode = Overlay.publicIp(1).toString();
            long packets0 = o.counter(2, "weft_userspace_rx_packets_total", kernelNode, null);
            long receives0 = udpInDatagrams(o.node(2));
            GsoFallbackTest.tcp(o, 1, 2, 5411);
            long packets = o.counter(2, "weft_userspace_rx_packets_total", kernelNode, null) - packets0;
            long receives = udpInDatagrams(o.node(2)) - receives0;
            assertTrue(packets > 40_000, "64 MiB is over 40k VXLAN packets, counted " + packets);
            assertTrue(receives * 2 < packets, "GRO trains: " + receives + " socket receives for " + packets + " packets");

            GsoFallbackTest.tcp(o, 2, 1, 5412);
        }
    }

    /** The namespace's UDP InDatagrams: with GRO, one per train handed to a socket. */
    static long udpInDatagrams(String ns) {
        List<String> udp = NetnsLab.exec(ns, "cat", "/proc/net/snmp").lines().filter(l -> l.startsWith("Udp:")).toList();
        List<String> names = List.of(udp.get(0).split("\\s+"));
        return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("InDatagrams")]);
    }
}
