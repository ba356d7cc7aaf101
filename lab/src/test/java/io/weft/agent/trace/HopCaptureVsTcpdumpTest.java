package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpRunner;
import io.weft.lab.jvm.ChildJvm;
import io.weft.lab.pcap.PcapLib;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * The capture trace relies on, checked against the reference tool: on the same hop at the same time, tcpdump (with
 * the same kernel filter, the same snap length) and {@link HopCapture} see the same packets, byte for byte: on the
 * source pod's veth (plain IP) and on the underlay (the flow inside VXLAN datagrams, picked out by their inner
 * addresses).
 */
@Timeout(240)
class HopCaptureVsTcpdumpTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vethpa, false", "eth0, true"})
    void samePacketsAsTcpdump(String iface, boolean encap) throws Exception {
        try (TraceLab t = new TraceLab("wtr-cap", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", "1s",
                List.of())) {
            String ns = t.lab.node(1).netns();
            Path pcap = Files.createTempFile("weft-tcpdump", ".pcap");
            String filter = HopCapture.filter(new HopCapture.Spec(iface, encap), t.a.ip(), t.b.ip(), 8472);
            Process tcpdump = new ProcessBuilder("ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-s", "256", "-U", "-n",
                    "-w", pcap.toString(), filter).redirectErrorStream(true).start();
            BufferedReader tcpdumpOut = new BufferedReader(new InputStreamReader(tcpdump.getInputStream()));
            String first = tcpdumpOut.readLine();
            assertTrue(first != null && first.contains("listening on"), "tcpdump started: " + first);
            Process ours = new ProcessBuilder(ChildJvm.command(ns, null, List.of("--enable-native-access=ALL-UNNAMED"),
                    CaptureFrames.class.getName(), List.of(iface, Boolean.toString(encap), t.a.ip().toString(),
                            t.b.ip().toString(), "4"))).redirectErrorStream(true).start();
            String armed = ChildJvm.await(ours, "ARMED", 60);
            assertEquals("ARMED", armed);

            IpRunner.Result ping = IpRunner.run(List.of("ip", "netns", "exec", t.a.netns(), "ping", "-c", "4", "-i", "0.2",
                    "-s", "300", t.b.ip().toString()), null);
            assertEquals(0, ping.exitCode(), ping.stdout());

            List<String> mine = new ArrayList<>();
            String line;
            BufferedReader r = new BufferedReader(new InputStreamReader(ours.getInputStream()));
            while ((line = r.readLine()) != null && !line.startsWith("DONE")) {
                if (line.startsWith("FRAME ")) mine.add(line.substring(6));
            }
            assertTrue(ours.waitFor(30, TimeUnit.SECONDS));
            tcpdump.destroy();
            assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS));

            List<String> theirs = new ArrayList<>();
            PcapLib.configure();
            try (PcapHandle h = Pcaps.openOffline(pcap.toString())) {
                while (true) {
                    byte[] b;
                    try {
                        b = h.getNextRawPacketEx();
                    } catch (java.io.EOFException e) {
                        break;
                    }
                    theirs.add(HexFormat.of().formatHex(Arrays.copyOf(b, Math.min(b.length, 256))));
                }
            } finally {
                Files.deleteIfExists(pcap);
            }
            assertEquals(8, theirs.size(), "tcpdump saw 4 requests and 4 replies on " + iface);
            assertEquals(theirs, mine, "the same frames, in the same order");
        }
    }
}
