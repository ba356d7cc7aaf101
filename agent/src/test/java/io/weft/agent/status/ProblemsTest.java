package io.weft.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What weftd status calls a problem, and the words it uses: each fault trace names, status names too. */
class ProblemsTest {
    static NodeStatus.Backend vxlan(int mtu, int underlayMtu, boolean present) {
        return new NodeStatus.Backend("vxlan", "kernel", "flannel.1", present, 1, 8472, mtu, "0a:00:00:00:00:01", "eth0",
                "172.31.0.1", underlayMtu, "kernel VXLAN", null);
    }

    static NodeStatus.Firewall firewall(String forwardState, String policy, List<String> portDrops) {
        return new NodeStatus.Firewall(List.of(new NodeStatus.Rule("iptables filter FLANNEL-FWD (from FORWARD)", forwardState,
                "detail")), policy, 7, portDrops);
    }

    static NodeStatus.Peer peer(NodeStatus.Entry... entries) {
        return new NodeStatus.Peer("10.244.2.0/24", "172.31.0.2", "vxlan", "0a:00:00:00:00:02", null, "2026-12-08T00:00:00Z",
                List.of(entries), null);
    }

    @Test
    void aHealthyNodeHasNone() {
        NodeStatus.Entry route = new NodeStatus.Entry("route", "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", true, null, "t");
        assertEquals(List.of(), Problems.of(true, null, null, vxlan(1450, 1500, true), List.of(peer(route)),
                firewall("present", "DROP", List.of())), "DROP is harmless while weft's forward rules accept pod traffic");
    }

    @Test
    void eachFaultIsNamed() {
        NodeStatus.Entry fdb = new NodeStatus.Entry("fdb", "0a:00:00:00:00:02 dev flannel.1 dst 172.31.0.2", false, null,
                "2026-12-07T00:00:00Z");
        List<String> p = Problems.of(true, null, null, vxlan(1450, 1000, true), List.of(peer(fdb)),
                firewall("off", "DROP", List.of("iptables -A INPUT -p udp -m udp --dport 8472 -j DROP (3 packets)")));
        assertEquals(4, p.size(), p.toString());
        assertTrue(p.get(0).contains("fdb 0a:00:00:00:00:02 dev flannel.1 dst 172.31.0.2 is missing since 2026-12-07T00:00:00Z"), p.get(0));
        assertTrue(p.get(1).contains("FORWARD policy is DROP") && p.get(1).contains("(7 packets so far)"), p.get(1));
        assertTrue(p.get(2).contains("--dport 8472 -j DROP"), p.get(2));
        assertTrue(p.get(3).contains("eth0's MTU 1000 is smaller than 1450 + 50 bytes of VXLAN"), p.get(3));
    }

    /** The wireguard backend: a peer the device lacks, its listen port dropped, and flannel's 80 bytes of overhead. */
    @Test
    void wireGuardFaultsAreNamedForWireGuard() {
        NodeStatus.Backend wg = new NodeStatus.Backend("wireguard", "userspace", "flannel-wg", true, 0, 51820, 1420, null,
                "eth0", "172.31.0.1", 1450, "WireGuard on userspace", null);
        String key = "x".repeat(43) + "=";
        NodeStatus.Peer peer = new NodeStatus.Peer("10.244.2.0/24", "172.31.0.2", "wireguard", null, key,
                "2026-12-08T00:00:00Z", List.of(new NodeStatus.Entry("wireguard peer", "peer " + key
                + " endpoint 172.31.0.2:51820 allowed-ips 10.244.2.0/24", false, null, null)), null);
        List<String> p = Problems.of(true, null, null, wg, List.of(peer), firewall("present", "ACCEPT",
                List.of("iptables -A INPUT -p udp -m udp --dport 51820 -j DROP (2 packets)")));
        assertEquals(3, p.size(), p.toString());
        assertTrue(p.get(0).contains("wireguard peer peer " + key + " endpoint 172.31.0.2:51820 allowed-ips 10.244.2.0/24"
                + " is missing: traffic to that node's pods stops here"), p.get(0));
        assertTrue(p.get(1).startsWith("a firewall rule drops the WireGuard port: iptables -A INPUT -p udp -m udp --dport"
                + " 51820 -j DROP (2 packets); WireGuard datagrams") && p.get(1).endsWith("allow UDP 51820 between the nodes"),
                p.get(1));
        assertTrue(p.get(2).startsWith("eth0's MTU 1450 is smaller than 1420 + 80 bytes of WireGuard"), p.get(2));
        assertTrue(StatusText.render(new NodeStatus("2026-12-07T00:00:00Z", "n1", true, null, "10.244.0.0/16",
                null, wg, List.of(peer), List.of(), null, p, List.of())).contains("172.31.0.2      key " + key + " wireguard"));
    }

    @Test
    void notReadyAndAMissingDevice() {
        List<String> p = Problems.of(false, "taking a lease from etcd", null, vxlan(1450, 1500, false), List.of(), null);
        assertEquals("not ready: taking a lease from etcd", p.get(0));
        assertTrue(p.get(1).startsWith("flannel.1 is missing"), p.get(1));
    }

    @Test
    void statusTextEndsWithTheProblems() {
        NodeStatus s = new NodeStatus("2026-12-07T00:00:00Z", "node1", true, null, "10.244.0.0/16",
                new NodeStatus.Lease("10.244.1.0/24", "172.31.0.1", "2026-12-08T00:00:00Z", "lease directory /x"),
                vxlan(1450, 1500, true), List.of(peer(new NodeStatus.Entry("route", "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                false, null, "2026-12-07T00:00:00Z"))), List.of(new NodeStatus.Departed("10.244.3.0/24", "172.31.0.3",
                "2026-12-07T00:00:00Z")), firewall("present", "ACCEPT", List.of()), List.of("the route is missing"),
                List.of(new NodeStatus.LogLine("2026-12-07T00:00:00Z", "WARNING", "reconcile failed")));
        String text = StatusText.render(s);
        assertTrue(text.startsWith("node node1: ready\n"), text);
        assertTrue(text.contains("expires 2026-12-08T00:00:00Z (in 24h00m)"), text);
        assertTrue(text.contains("MISSING since 2026-12-07T00:00:00Z"), text);
        assertTrue(text.contains("10.244.3.0/24 (172.31.0.3) left at"), text);
        assertTrue(text.contains("problems\n  - the route is missing"), text);
        assertTrue(text.endsWith("2026-12-07T00:00:00Z WARNING reconcile failed\n"), text);
    }
}
