package io.weft.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.pcap.PcapLib;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * {@code weftd capture} against a running userspace node: the pcap it writes holds the pods' pings in both
 * directions and reads back with pcap4j (libpcap); /metrics on the same server shows the per-peer counters.
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
            o.userspaceVtep(2, true, List.of("--http-port", "10267"), 1);
            Path out = Files.createTempFile("weft-capture", ".pcap");
            try {
                Process cap = Overlay.tool(o.node(2), "capture", "--agent", "http://127.0.0.1:10267", "--duration", "3s",
                        "--out", out.toString());
                Overlay.sleep(1200);
                assertTrue(o.ping(1, 2, 4, 100), "ping during the capture");
                assertEquals("CAPTURE 0", Overlay.await(cap, "CAPTURE", 30));
                int requests = 0;
                int replies = 0;
                try (PcapHandle h = Pcaps.openOffline(out.toString())) {
                    byte[] b;
                    while (true) {
                        try {
                            b = h.getNextRawPacketEx();
                        } catch (java.io.EOFException e) {
                            break;
                        }
                        ByteBuffer f = ByteBuffer.wrap(b);
                        if (b.length < 14 + 20 + 8 || (f.getShort(12) & 0xffff) != 0x0800 || b[14 + 9] != 1) continue;
                        int type = b[14 + (b[14] & 0x0f) * 4] & 0xff;
                        if (type == 8) requests++;
                        if (type == 0) replies++;
                    }
                }
                assertEquals(4, requests, "echo requests received from the kernel node");
                assertEquals(4, replies, "echo replies sent by the userspace datapath");

                String metrics = Overlay.await(Overlay.tool(o.node(2), "http-get", "http://127.0.0.1:10267/metrics"), "HTTP", 30);
                assertEquals("HTTP 200", metrics);
            } finally {
                Files.deleteIfExists(out);
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
