package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv6Cidr;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * IPv6-only ({@code EnableIPv4: false}) on an underlay without IPv4: flannel-v6.1 alone carries the pods; and IPv6
 * for host-gw and for vxlan's DirectRouting, a plain route via the peer's PublicIPv6 on eth0 (hostgw.go and
 * route_network.go; vxlan_network.go's v6DirectRoute). With --ip-masq, flannel's ip6tables rules (iptables.go
 * {@code masqIP6Rules}) come back after a flush. Needs root; fails without.
 */
class Ipv6OnlyAndHostGwV6Test {
    static final String V6ONLY = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\","
            + "\"Backend\":{\"Type\":\"%s\"%s}}";
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    private void start(String tag, String netConf, boolean dropIpv4) throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster(tag, 2, netConf);
        lab.ipv6Underlay(dropIpv4);
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        try {
            lab.awaitConverged(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + lab.log(lab.node(1)), e);
        }
    }

    private static Ipv6Cidr subnet6(LabCluster.Node n) throws Exception {
        return SubnetEnv.read(n.subnetFile()).ipv6Subnet();
    }

    private void podsTalkOverIpv6() throws Exception {
        LabCluster.Pod a = lab.addPod(lab.node(1), "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        IpRunner.Result ab = Probe.ping6(a, b, 2);
        assertEquals(0, ab.exitCode(), "a -> " + b.ip6() + ": " + ab.stdout());
        assertEquals(0, Probe.ping6(b, a, 2).exitCode());
    }

    @Test
    void ipv6OnlyVxlanCarriesPodsOnFlannelV6AloneAndMasqueradeRulesComeBack() throws Exception {
        lab = null;
        NetnsLab.requireRoot();
        String conf = String.format(V6ONLY, "vxlan", "");
        lab = new LabCluster("wt-v6o", 2, conf);
        lab.agentArgs(List.of("--ip-masq", "--iptables-resync", "1"));
        lab.ipv6Underlay(true);
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        try {
            lab.awaitConverged(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + lab.log(lab.node(1)), e);
        }
        for (LabCluster.Node n : lab.nodes()) {
            SubnetEnv env = SubnetEnv.read(n.subnetFile());
            assertNull(env.subnet(), "no IPv4 subnet on an IPv6-only node");
            IpReader r = new IpReader(n.ns());
            assertFalse(r.link("flannel.1").isPresent(), "no IPv4 device on an IPv6-only node");
            LabCluster.Node peer = lab.node(3 - n.index());
            Ipv6Cidr s = subnet6(peer);
            var mac = new IpReader(peer.ns()).link("flannel-v6.1").orElseThrow().mac();
            assertEquals(Set.of(RouteEntry.onlink(s, s.network(), "flannel-v6.1")), Set.copyOf(r.routes6().stream()
                    .filter(e -> "flannel-v6.1".equals(e.dev()) && e.dst().prefix() == 64 && !e.dst().network().toString().startsWith("fe80")).toList()));
            assertEquals(List.of(new NeighEntry(s.network(), mac, "flannel-v6.1")), r.permanentNeighbours("flannel-v6.1"));
            assertEquals(List.of(new FdbEntry(mac, "flannel-v6.1", peer.ipv6())), r.vxlanFdb("flannel-v6.1"));
        }
        podsTalkOverIpv6();

        LabCluster.Node n1 = lab.node(1);
        String masq = "-A FLANNEL-POSTRTG -s fd00:10:244::/56 ! -d ff00::/8 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully";
        assertTrue(Firewall.run(n1.netns(), "ip6tables-save", "-t", "nat").contains(masq));
        Firewall.run(n1.netns(), "ip6tables", "-w", "-t", "nat", "-F");
        assertFalse(Firewall.run(n1.netns(), "ip6tables-save", "-t", "nat").contains(masq));
        Probe.await("flannel's ip6tables masquerade rules back after a flush", Duration.ofSeconds(10),
                () -> Firewall.run(n1.netns(), "ip6tables-save", "-t", "nat").contains(masq));
        assertFalse(Firewall.run(n1.netns(), "iptables-save").contains("FLANNEL"), "IPv4 rules left alone on an IPv6-only node");
    }

    private void assertV6RoutesViaPeers(String tunnel) throws Exception {
        for (LabCluster.Node n : lab.nodes()) {
            LabCluster.Node peer = lab.node(3 - n.index());
            IpReader r = new IpReader(n.ns());
            Set<RouteEntry> have = r.routes6().stream().filter(e -> e.dst().network().toString().startsWith("fd00:10:244:")
                    && !"cni0".equals(e.dev())).collect(Collectors.toSet());
            assertEquals(Set.of(RouteEntry.via(subnet6(peer), peer.ipv6(), "eth0")), have, "node " + n.index());
            if (tunnel != null) assertEquals(List.of(), r.permanentNeighbours(tunnel), "no overlay neighbours");
        }
        podsTalkOverIpv6();
    }

    @Test
    void hostGwRoutesIpv6ViaPeersPublicIpv6() throws Exception {
        start("wt-hg6", "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\","
                + "\"Backend\":{\"Type\":\"host-gw\"}}", false);
        assertV6RoutesViaPeers(null);
        LabCluster.Pod a = lab.pods().get(0);
        assertTrue(Probe.reachable(a, lab.pods().get(1)), "and IPv4 as before");
    }

    @Test
    void ipv6OnlyHostGw() throws Exception {
        start("wt-hg6o", String.format(V6ONLY, "host-gw", ""), true);
        assertV6RoutesViaPeers(null);
    }

    @Test
    void vxlanDirectRoutingSkipsTheV6TunnelOnOneSegment() throws Exception {
        start("wt-dr6", String.format(V6ONLY, "vxlan", ",\"DirectRouting\":true"), true);
        assertV6RoutesViaPeers("flannel-v6.1");
    }
}
