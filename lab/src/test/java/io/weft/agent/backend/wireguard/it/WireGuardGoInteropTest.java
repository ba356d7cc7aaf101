package io.weft.agent.backend.wireguard.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * weft's userspace WireGuard against Debian's wireguard-go, the reference peer, configured as flannel configures its
 * device (see {@link FlannelWgGo}), with a pre-shared key: the handshake initiated by each side, ICMP and TCP with
 * checksums both ways, and on the underlay (tcpdump on the bridge, IPv4) nothing but UDP to port 51820 and no clear
 * inner packet.
 */
@Timeout(300)
class WireGuardGoInteropTest {
    static final String PSK = "WCAtL5/w8/hTNMM8zGzYK6lL+LOt+VxPEIvZFyqy+1I=";

    @Test
    void weftUserspaceAndWireguardGoAsFlannelConfiguresIt() throws Exception {
        try (WgLab w = new WgLab("wgi", 2, "{\"Type\":\"wireguard\",\"Datapath\":\"userspace\",\"PSK\":\"" + PSK + "\"}")) {
            LabCluster.Node weft = w.node(1);
            FlannelWgGo ref = new FlannelWgGo(w, w.node(2), Ipv4Cidr.parse("10.244.50.0/24"), PSK);
            LabCluster.Pod refPod = w.lab.addPod(ref.node, "a");

            w.start(weft);
            SubnetEnv env = w.awaitReady(weft);
            LeaseRecord weftLease = LeaseRecord.parse(Files.readString(w.lab.leaseDir().resolve("subnets").resolve(env.subnet().toKey())));
            ref.addPeer(weftLease.publicKey(), weft.ip().toString(), env.subnet(), 0);
            LabCluster.Pod weftPod = w.lab.addPod(weft, "a");

            // IPv4: link-local IPv6 chatter is no pod traffic
            Process pcap = w.capture("ip");
            try {
                // weft initiates: it handshakes with every peer as soon as it sees its lease (and retries every 5 s)
                WgLab.await("weft pod reaches the wireguard-go pod", Duration.ofSeconds(30),
                        () -> WgLab.ping(weftPod, refPod.ip().toString(), 1));
                assertTrue(WgLab.ping(refPod, weftPod.ip().toString(), 3), "wireguard-go pod -> weft pod");
                assertTrue(pingPattern(weftPod, refPod.ip().toString()) && pingPattern(refPod, weftPod.ip().toString()),
                        "full-size pings with a marker payload, both ways");
                WgLab.tcp(weftPod, refPod, 5401, 32L << 20);
                WgLab.tcp(refPod, weftPod, 5402, 32L << 20);
                assertTrue(ref.show("latest-handshakes").contains(weftLease.publicKey()));

                // wireguard-go initiates: it forgets weft (and its session) and learns it again, then sends first
                ref.removePeer(weftLease.publicKey());
                ref.addPeer(weftLease.publicKey(), weft.ip().toString(), env.subnet(), 0);
                long before = handshakes(weft, ref.node.ip().toString());
                assertTrue(WgLab.ping(refPod, weftPod.ip().toString(), 3), "after wireguard-go's own handshake");
                WgLab.await("weft counted the handshake wireguard-go started", Duration.ofSeconds(10),
                        () -> handshakesUnchecked(weft, ref.node.ip().toString()) > before);
                WgLab.tcp(refPod, weftPod, 5403, 16L << 20);
            } finally {
                pcap.destroy();
            }
            List<String> summary = w.captured(pcap);
            Path file = w.capturedFile();
            assertTrue(summary.size() > 1000, "the capture saw the traffic: " + summary.size() + " packets");
            for (String line : summary) {
                assertTrue(line.matches(".* IP 172\\.31\\.0\\.[12]\\.51820 > 172\\.31\\.0\\.[12]\\.51820: UDP, length \\d+"),
                        "only WireGuard on the underlay: " + line);
            }
            String raw = HexFormat.of().formatHex(Files.readAllBytes(file));
            assertFalse(raw.contains("c0ffee15c0ffee15c0ffee15"), "a clear ping payload on the underlay");
            String a = HexFormat.of().formatHex(weftPod.ip().toBytes());
            String b = HexFormat.of().formatHex(refPod.ip().toBytes());
            assertFalse(raw.contains(a + b) || raw.contains(b + a), "a clear inner IP header (pod to pod) on the underlay");
        }
    }

    private static boolean pingPattern(LabCluster.Pod from, String to) {
        return WgLab.sh("ip", "netns", "exec", from.netns(), "ping", "-c", "3", "-i", "0.2", "-W", "1", "-s", "1392", "-M", "do",
                "-p", "c0ffee15", to).exitCode() == 0;
    }

    private static long handshakes(LabCluster.Node n, String peer) throws Exception {
        return WgLab.metric(WgLab.metrics(n), "weft_wireguard_handshakes_total{device=\"flannel-wg\",peer=\"" + peer + "\"}");
    }

    private static long handshakesUnchecked(LabCluster.Node n, String peer) {
        try {
            return handshakes(n, peer);
        } catch (Exception e) {
            return -1;
        }
    }
}
