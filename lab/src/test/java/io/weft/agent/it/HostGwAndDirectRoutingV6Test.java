package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
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
 * IPv6 for host-gw and for vxlan's DirectRouting on a dual-stack cluster: a plain route via the peer's PublicIPv6 on
 * eth0 (hostgw.go and route_network.go; vxlan_network.go's v6DirectRoute). With --ip-masq, flannel's ip6tables rules
 * (iptables.go {@code masqIP6Rules}) come back after a flush. Needs root; fails without.
 */
class HostGwAndDirectRoutingV6Test {
    static final String DUAL = "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",";
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    private void start(boolean dropIpv4) throws Exception {
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
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-hg6", 2, DUAL + "\"Backend\":{\"Type\":\"host-gw\"}}");
        start(false);
        assertV6RoutesViaPeers(null);
        LabCluster.Pod a = lab.pods().get(0);
        assertTrue(Probe.reachable(a, lab.pods().get(1)), "and IPv4 as before");
    }

    @Test
    void vxlanDirectRoutingSkipsTheV6TunnelOnOneSegmentAndMasqueradeV6RulesComeBack() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-dr6", 2, DUAL + "\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}");
        lab.agentArgs(List.of("--ip-masq", "--iptables-resync", "1"));
        start(false);
        assertV6RoutesViaPeers("flannel-v6.1");

        LabCluster.Node n1 = lab.node(1);
        Firewall.assertIp6MasqueradeRestoredAfterFlush(n1, "fd00:10:244::/56");
        assertTrue(Firewall.run(n1.netns(), "iptables-save", "-t", "nat").contains("-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4"),
                "the IPv4 rules beside them");
    }
}
