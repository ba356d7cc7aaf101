package io.weft.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.pcap.PcapLib;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code weftd capture} against a running userspace node over its debug socket: the pcap it writes holds the pods'
 * pings in both directions and reads back with pcap4j (libpcap); /metrics shows the per-peer counters, and the health
 * port serves no capture.
 */
@Timeout(120)
class CaptureTest {
    static {
        PcapLib.configure();
    }

    @Test
    void captureWritesAReadablePcapOfBothDirections() throws Exception {
        try (Overlay o = new Overlay("wcp", 2)) {
            o.kernelVtep(1, 2);
            Path dir = Files.createTempDirectory("weft-capture");
            Path sock = dir.resolve("weftd.sock");
            o.userspaceVtep(2, true, List.of("--http-port", "10267", "--debug-socket", sock.toString()), 1);
            Path out = dir.resolve("overlay.pcap");
            try {
                Process cap = Overlay.tool(o.node(2), "capture", "--agent", sock.toString(), "--duration", "3s",
                        "--out", out.toString());
                Overlay.sleep(1200);
                assertTrue(o.ping(1, 2, 4, 100), "ping during the capture");
                assertEquals("CAPTURE 0", Overlay.await(cap, "CAPTURE", 30));
                int[] echoes = PcapLib.icmpEchoes(out);
                assertEquals(4, echoes[0], "echo requests received from the kernel node");
                assertEquals(4, echoes[1], "echo replies sent by the userspace datapath");

                String metrics = Overlay.await(Overlay.tool(o.node(2), "http-get", "http://127.0.0.1:10267/metrics"), "HTTP", 30);
                assertEquals("HTTP 200", metrics);
                String onHealthPort = Overlay.await(Overlay.tool(o.node(2), "http-get",
                        "http://127.0.0.1:10267/debug/capture?seconds=1"), "HTTP", 30);
                assertEquals("HTTP 403", onHealthPort, "no capture on the health port, not even from loopback");
            } finally {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void metricsShowPerPeerCounters() throws Exception {
        try (Overlay o = new Overlay("wmt", 2)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, List.of("--http-port", "10267"), 1);
            assertTrue(o.ping(1, 2, 3, 56));
            Process p = Overlay.tool(o.node(2), "http-get", "http://127.0.0.1:10267/metrics");
            String body = new String(p.getInputStream().readAllBytes());
            assertTrue(body.contains("# TYPE weft_userspace_rx_packets_total counter"), body);
            assertTrue(body.matches("(?s).*weft_userspace_rx_packets_total\\{device=\"flannel.1\",peer=\"172.31.0.1\"} [3-9].*"), body);
            assertTrue(body.contains("weft_userspace_drops_total{device=\"flannel.1\",peer=\"unknown\",reason=\"unknown_source\"} 0"), body);
            assertTrue(body.contains("weft_reconcile_rounds_total"), "the agent's own metrics are there too:\n" + body);
        }
    }
}
