package io.weft.agent.backend.wireguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.pcap.PcapLib;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two weftd agents in network namespaces with {@code "Type": "wireguard", "Datapath": "userspace"}: the device,
 * address, route, MTU and lease flannel's wireguard backend would have (pkg/backend/wireguard/device.go Configure,
 * wireguard.go newSubnetAttrs), a key file of mode 0600 kept across a restart, and pods talking through weft's own
 * WireGuard: ICMP and TCP with checksums, both ways, {@code weftd capture} showing the packets in clear, and per-peer
 * counters on /metrics.
 */
@Timeout(300)
class UserspaceWireGuardTest {
    static {
        PcapLib.configure();
    }

    @Test
    void twoUserspaceNodesCarryPodTrafficAsFlannelsBackendWould() throws Exception {
        try (WgLab w = new WgLab("wgu", 2, "{\"Type\":\"wireguard\",\"Datapath\":\"userspace\"}")) {
            LabCluster.Node n1 = w.node(1);
            LabCluster.Node n2 = w.node(2);
            w.start(n1);
            w.start(n2);
            SubnetEnv e1 = w.awaitReady(n1);
            SubnetEnv e2 = w.awaitReady(n2);
            assertEquals(1500 - 80, e1.mtu(), "FLANNEL_MTU is the underlay's minus flannel's 80");

            for (LabCluster.Node n : List.of(n1, n2)) {
                SubnetEnv env = n == n1 ? e1 : e2;
                IpReader r = new IpReader(n.ns());
                LinkInfo l = r.link("flannel-wg").orElseThrow();
                assertEquals("tun", l.kind());
                assertEquals(1420, l.mtu());
                assertEquals(List.of(new IfAddress("flannel-wg", env.subnet().network(), 32)), r.addresses("flannel-wg"));
                assertTrue(r.routes().contains(RouteEntry.direct(Ipv4Cidr.parse("10.244.0.0/16"), "flannel-wg")), "Network route");
                LeaseRecord lease = LeaseRecord.parse(Files.readString(w.lab.leaseDir().resolve("subnets").resolve(env.subnet().toKey())));
                assertEquals("wireguard", lease.backendType());
                assertEquals(51820, lease.wireguardPort());
                assertEquals(44, lease.publicKey().length());
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(WgLab.keyFile(n))));
            }

            LabCluster.Pod p1 = w.lab.addPod(n1, "a");
            LabCluster.Pod p2 = w.lab.addPod(n2, "a");
            WgLab.await("pod 1 reaches pod 2", Duration.ofSeconds(30), () -> WgLab.ping(p1, p2.ip().toString(), 1));
            assertTrue(WgLab.ping(p2, p1.ip().toString(), 3), "pod 2 -> pod 1");
            assertTrue(WgLab.ping(p1, p2.ip().toString(), 2) && WgLab.sh("ip", "netns", "exec", p1.netns(), "ping", "-c", "2",
                    "-s", "1392", "-M", "do", "-W", "1", p2.ip().toString()).exitCode() == 0, "full-MTU pings");
            WgLab.tcp(p1, p2, 5401, 64L << 20);
            WgLab.tcp(p2, p1, 5402, 64L << 20);

            // weftd capture on node 1 (its debug socket) shows the packets in clear, as they were before sealing
            java.nio.file.Path out = w.lab.workDir().resolve("wg.pcap");
            Process cap = WgLab.tool(n1.netns(), "capture", "--agent", w.lab.debugSocket(n1).toString(), "--duration", "3s",
                    "--out", out.toString());
            Thread.sleep(1200);
            assertTrue(WgLab.ping(p1, p2.ip().toString(), 4), "ping during the capture");
            assertEquals("CAPTURE 0", WgLab.awaitLine(cap, "CAPTURE", 30));
            int[] echoes = PcapLib.icmpEchoes(out);
            assertEquals(4, echoes[0], "echo requests sealed by node 1, captured in clear");
            assertEquals(4, echoes[1], "echo replies opened by node 1, captured in clear");

            String m = WgLab.metrics(n1);
            String peer = "{device=\"flannel-wg\",peer=\"" + n2.ip() + "\"}";
            assertTrue(WgLab.metric(m, "weft_wireguard_handshakes_total" + peer) >= 1, m);
            assertTrue(WgLab.metric(m, "weft_wireguard_tx_bytes_total" + peer) > 64L << 20, m);
            assertTrue(WgLab.metric(m, "weft_wireguard_rx_bytes_total" + peer) > 64L << 20, m);
            assertTrue(WgLab.metric(m, "weft_wireguard_last_handshake_timestamp_seconds" + peer) > 0, m);
            assertTrue(!m.contains(new String(Files.readString(WgLab.keyFile(n1)).strip())), "no private key on /metrics");
        }
    }
}
