package io.weft.agent.backend.wireguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv6Cidr;
import io.weft.lab.cluster.LabCluster;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 on the wireguard backend, in namespaces on default veths, each cluster a kernel-datapath node (wireguard-go,
 * this kernel having no wireguard module) beside a weft userspace node, or weft against the hand-configured reference
 * ({@link FlannelWgGo}): flannel's Modes as pkg/backend/wireguard/wireguard.go RegisterNetwork and
 * wireguard_network.go handleSubnetEvents run them. Pods ping and carry TCP (SHA-256 compared) over both families;
 * the underlay carries nothing but UDP to the WireGuard ports. Needs root, wg and wireguard-go; fails without.
 */
@Timeout(300)
class WireGuardIpv6Test {
    static final Ipv6Cidr NET6 = Ipv6Cidr.parse("fd00:10:244::/56");
    /**
     * Everything on the underlay but the link's own IPv6 chatter, no pod traffic: neighbour discovery (ICMPv6) and
     * multicast listener reports (ICMPv6 behind a hop-by-hop header, to ff02::16).
     */
    static final String NOT_ND = "ip or (ip6 and not icmp6 and not ip6 multicast)";

    /**
     * Separate mode (flannel's default): flannel-wg carries IPv4 on 51820, flannel-wg-v6 IPv6 on 51821, each with its
     * own peers; the lease has BackendData and BackendV6Data with one key and each device's port.
     */
    @Test
    void dualStackSeparateModeRunsFlannelWgV6OnListenPortV6() throws Exception {
        try (WgLab w = WgLab.ipv6("wg6s", 2, WgLab.DUAL_STACK, "{\"Type\":\"wireguard\"}")) {
            LabCluster.Node kernel = w.node(1);
            LabCluster.Node user = w.node(2);
            SubnetEnv ek = startKernelBesideUserspace(w, "");
            SubnetEnv eu = w.awaitReady(user);

            assertDualStackLease(w, user, 51821);

            // flannel's ConfigureV6 on flannel-wg-v6: <subnet network>/128 and the IPv6Network route; flannel-wg has IPv4 alone
            IpReader rk = new IpReader(kernel.ns());
            assertEquals(List.of(new IfAddress("flannel-wg-v6", ek.ipv6Subnet().network(), 128)),
                    rk.globalAddresses6("flannel-wg-v6"));
            assertTrue(rk.routes6().contains(RouteEntry.direct(NET6, "flannel-wg-v6")), rk.routes6().toString());
            assertTrue(rk.globalAddresses6("flannel-wg").isEmpty());
            assertEquals(1420, rk.link("flannel-wg-v6").orElseThrow().mtu());
            WgLab.await("the userspace node as a peer of each device", Duration.ofSeconds(15), () -> peers(kernel, "flannel-wg-v6") == 1
                    && peers(kernel, "flannel-wg") == 1);
            WgTool.Device d6 = new WgTool(kernel.ns()).show("flannel-wg-v6").orElseThrow();
            assertEquals(51821, d6.listenPort());
            WgTool.PeerState p6 = d6.peers().getFirst();
            assertEquals("[fd00:31::2]:51821", p6.endpoint());
            assertEquals(List.<IpCidr>of(eu.ipv6Subnet()), p6.allowedIps());
            WgTool.PeerState p4 = new WgTool(kernel.ns()).show("flannel-wg").orElseThrow().peers().getFirst();
            assertEquals("172.31.0.2:51820", p4.endpoint());
            assertEquals(List.<IpCidr>of(eu.subnet()), p4.allowedIps());

            carriesBothFamilies(w, kernel, user, true);
        }
    }

    /**
     * Auto mode: one flannel-wg for both families with both subnets as each peer's allowed IPs, dialled at its IPv4
     * address (both ends private: flannel's selectPublicEndpoint keeps IPv4); no flannel-wg-v6.
     */
    @Test
    void dualStackAutoModeCarriesBothFamiliesOnOneDevice() throws Exception {
        try (WgLab w = WgLab.ipv6("wg6a", 2, WgLab.DUAL_STACK, "{\"Type\":\"wireguard\",\"Mode\":\"auto\"}")) {
            LabCluster.Node kernel = w.node(1);
            LabCluster.Node user = w.node(2);
            SubnetEnv ek = startKernelBesideUserspace(w, ",\"Mode\":\"auto\"");
            SubnetEnv eu = w.awaitReady(user);
            assertDualStackLease(w, kernel, 51820); // one device: BackendV6Data names flannel-wg's port

            IpReader rk = new IpReader(kernel.ns());
            assertFalse(rk.link("flannel-wg-v6").isPresent(), "no second device outside separate mode");
            assertEquals(List.of(new IfAddress("flannel-wg", ek.ipv6Subnet().network(), 128)), rk.globalAddresses6("flannel-wg"));
            assertTrue(rk.routes6().contains(RouteEntry.direct(NET6, "flannel-wg")));
            assertTrue(rk.routes().stream().anyMatch(r -> r.dst().toString().equals("10.244.0.0/16") && "flannel-wg".equals(r.dev())));
            WgLab.await("the userspace node as a peer", Duration.ofSeconds(15), () -> peers(kernel, "flannel-wg") == 1);
            WgTool.PeerState p = new WgTool(kernel.ns()).show("flannel-wg").orElseThrow().peers().getFirst();
            assertEquals("172.31.0.2:51820", p.endpoint(), "auto, both ends on private addresses: IPv4, as selectPublicEndpoint");
            assertEquals(Set.<IpCidr>of(eu.subnet(), eu.ipv6Subnet()), Set.copyOf(p.allowedIps()));

            // IPv6 pod traffic rides the IPv4 underlay
            carriesBothFamilies(w, kernel, user, false);
        }
    }

    /**
     * An IPv6-only cluster on an underlay without IPv4, Mode ipv6: weft's userspace WireGuard against wireguard-go
     * configured by hand as flannel configures flannel-wg there (ConfigureV6, peers at [PublicIPv6]:51820), ICMPv6 and
     * TCP over IPv6 both ways, the handshake started by each side; then a weftd asked for Mode ipv4 on this cluster
     * stops with one line naming Backend.Mode.
     */
    @Test
    void ipv6OnlyModeIpv6AgainstFlannelsWireguardGo() throws Exception {
        String backend = "{\"Type\":\"wireguard\",\"Mode\":\"ipv6\",\"Datapath\":\"userspace\"}";
        try (WgLab w = WgLab.ipv6("wg6o", 3, WgLab.IPV6_ONLY, backend)) {
            LabCluster.Node weft = w.node(1);
            FlannelWgGo ref = FlannelWgGo.ipv6Only(w, w.node(2), Ipv6Cidr.parse("fd00:10:244:50::/64"), null);
            LabCluster.Pod refPod = w.lab.addPod(ref.node, "a");
            w.start(weft);
            SubnetEnv env = w.awaitReady(weft);
            LeaseRecord lease = LeaseRecord.parse(w.leaseJson(weft));
            assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00:31::1\",\"BackendType\":\"wireguard\","
                    + "\"BackendV6Data\":{\"PublicKey\":\"" + lease.publicKeyV6() + "\",\"Port\":51820}}", w.leaseJson(weft));
            ref.addPeer(lease.publicKeyV6(), weft.ipv6().toString(), env.ipv6Subnet(), 0);
            LabCluster.Pod weftPod = w.lab.addPod(weft, "a");
            IpReader r = new IpReader(weft.ns());
            assertEquals(List.of(new IfAddress("flannel-wg", env.ipv6Subnet().network(), 128)), r.globalAddresses6("flannel-wg"));
            assertTrue(r.routes6().contains(RouteEntry.direct(NET6, "flannel-wg")));
            assertTrue(r.routes().stream().noneMatch(x -> "flannel-wg".equals(x.dev())), "no IPv4 route on an IPv6-only node");

            Process pcap = w.capture(NOT_ND);
            try {
                WgLab.await("weft pod reaches the wireguard-go pod over IPv6", Duration.ofSeconds(30), () -> WgLab.ping6(weftPod, refPod, 1));
                assertTrue(WgLab.ping6(refPod, weftPod, 3), "wireguard-go pod -> weft pod");
                WgLab.tcp6(weftPod, refPod, 5401, 16L << 20);
                WgLab.tcp6(refPod, weftPod, 5402, 16L << 20);
                // wireguard-go initiates this time
                ref.removePeer(lease.publicKeyV6());
                ref.addPeer(lease.publicKeyV6(), weft.ipv6().toString(), env.ipv6Subnet(), 0);
                assertTrue(WgLab.ping6(refPod, weftPod, 3), "after wireguard-go's own handshake");
            } finally {
                pcap.destroy();
            }
            List<String> lines = w.captured(pcap);
            assertTrue(lines.size() > 500, "the capture saw the traffic: " + lines.size());
            for (String l : lines) {
                assertTrue(l.matches(".* IP6 fd00:31::[12]\\.51820 > fd00:31::[12]\\.51820: UDP, length \\d+"), "only WireGuard: " + l);
            }

            // a Mode the cluster cannot use is refused at start, the field named, the node untouched
            LabCluster.Node bad = w.node(3);
            Process p = w.start(bad, w.conf("bad", WgLab.IPV6_ONLY, "{\"Type\":\"wireguard\",\"Mode\":\"ipv4\"}"));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertNotEquals(0, p.exitValue());
            assertTrue(w.lab.log(bad).contains("Backend.Mode"), w.lab.log(bad));
            assertFalse(new IpReader(bad.ns()).link("flannel-wg").isPresent(), "nothing made on the refused node");
        }
    }

    /**
     * Pings and TCP both ways over IPv4 and IPv6, with the underlay captured meanwhile: only UDP 51820 over IPv4 and,
     * with {@code v6Wire} (separate mode), UDP 51821 over IPv6, which must then be seen.
     */
    private static void carriesBothFamilies(WgLab w, LabCluster.Node n1, LabCluster.Node n2, boolean v6Wire) throws Exception {
        LabCluster.Pod a = w.lab.addPod(n1, "a");
        LabCluster.Pod b = w.lab.addPod(n2, "b");
        Process pcap = w.capture(NOT_ND);
        try {
            WgLab.await("IPv6 pod to pod", Duration.ofSeconds(30), () -> WgLab.ping6(a, b, 1));
            assertTrue(WgLab.ping6(b, a, 3), "IPv6 back");
            assertTrue(WgLab.ping(a, b.ip().toString(), 3) && WgLab.ping(b, a.ip().toString(), 3), "IPv4 both ways");
            WgLab.tcp6(a, b, 5401, 16L << 20);
            WgLab.tcp6(b, a, 5402, 16L << 20);
            WgLab.tcp(a, b, 5403, 4L << 20);
        } finally {
            pcap.destroy();
        }
        List<String> lines = w.captured(pcap);
        assertTrue(lines.size() > 500, "the capture saw the traffic: " + lines.size());
        boolean sawV6Wire = false;
        for (String l : lines) {
            boolean v4 = l.matches(".* IP 172\\.31\\.0\\.[12]\\.51820 > 172\\.31\\.0\\.[12]\\.51820: UDP, length \\d+");
            boolean v6 = v6Wire && l.matches(".* IP6 fd00:31::[12]\\.51821 > fd00:31::[12]\\.51821: UDP, length \\d+");
            sawV6Wire |= v6;
            assertTrue(v4 || v6, "only WireGuard on the underlay: " + l);
        }
        assertEquals(v6Wire, sawV6Wire, "IPv6 pod traffic on flannel-wg-v6's port over the IPv6 underlay");
        assertFalse(java.util.HexFormat.of().formatHex(java.nio.file.Files.readAllBytes(w.capturedFile()))
                .contains(java.util.HexFormat.of().formatHex(b.ip6().toBytes())), "a clear inner IPv6 address on the underlay");
    }

    /** The node's lease as flannel's newSubnetAttrs writes it: one key in both data, IPv6's port {@code portV6}. */
    private static void assertDualStackLease(WgLab w, LabCluster.Node n, int portV6) throws Exception {
        String key = LeaseRecord.parse(w.leaseJson(n)).publicKey();
        assertEquals("{\"PublicIP\":\"" + n.ip() + "\",\"PublicIPv6\":\"" + n.ipv6() + "\",\"BackendType\":\"wireguard\","
                + "\"BackendData\":{\"PublicKey\":\"" + key + "\",\"Port\":51820},"
                + "\"BackendV6Data\":{\"PublicKey\":\"" + key + "\",\"Port\":" + portV6 + "}}", w.leaseJson(n));
    }

    /**
     * Node 1 on the kernel datapath (the cluster's net-conf), node 2 on the userspace one with the same other
     * {@code fields}; returns node 1's subnet.env once both are ready.
     */
    private static SubnetEnv startKernelBesideUserspace(WgLab w, String fields) throws Exception {
        w.start(w.node(1));
        SubnetEnv env = w.awaitReady(w.node(1));
        w.start(w.node(2), w.conf("user", WgLab.DUAL_STACK, "{\"Type\":\"wireguard\"" + fields + ",\"Datapath\":\"userspace\"}"));
        w.awaitReady(w.node(2));
        return env;
    }

    private static int peers(LabCluster.Node n, String dev) {
        return new WgTool(n.ns()).show(dev).map(d -> d.peers().size()).orElse(-1);
    }
}
