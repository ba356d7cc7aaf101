package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv6Cidr;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * An IPv6-only cluster ({@code EnableIPv4: false}) of weftd agents on an underlay without IPv4: flannel-v6.1 alone
 * carries the pods, flannel's ip6tables masquerade rules come back after a flush, the IPv4 tables are left alone.
 * The kernel side runs IPv6-only (Ipv6OnlyVxlanKernelTest drives it without the agent); the agent does not start
 * one yet, because the lease stores do not hold IPv6-only leases (LeaseBook is keyed by the IPv4 subnet, and
 * preflight refuses EnableIPv4 false naming it). Needs root; fails without.
 */
@Disabled("the lease stores do not hold IPv6-only leases yet (branch v6lease): weftd refuses EnableIPv4 false at start")
class Ipv6OnlyClusterTest {
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    @Test
    void ipv6OnlyVxlanCarriesPodsOnFlannelV6AloneAndMasqueradeRulesComeBack() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-v6o", 2, "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\","
                + "\"Backend\":{\"Type\":\"vxlan\"}}");
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
            Ipv6Cidr s = SubnetEnv.read(peer.subnetFile()).ipv6Subnet();
            var mac = new IpReader(peer.ns()).link("flannel-v6.1").orElseThrow().mac();
            assertEquals(Set.of(RouteEntry.onlink(s, s.network(), "flannel-v6.1")), Set.copyOf(r.routes6().stream()
                    .filter(e -> "flannel-v6.1".equals(e.dev()) && e.dst().prefix() == 64 && !e.dst().network().toString().startsWith("fe80")).toList()));
            assertEquals(List.of(new NeighEntry(s.network(), mac, "flannel-v6.1")), r.permanentNeighbours("flannel-v6.1"));
            assertEquals(List.of(new FdbEntry(mac, "flannel-v6.1", peer.ipv6())), r.vxlanFdb("flannel-v6.1"));
        }
        LabCluster.Pod a = lab.addPod(lab.node(1), "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        assertEquals(0, Probe.ping6(a, b, 2).exitCode());
        assertEquals(0, Probe.ping6(b, a, 2).exitCode());

        LabCluster.Node n1 = lab.node(1);
        Firewall.assertIp6MasqueradeRestoredAfterFlush(n1, "fd00:10:244::/56");
        assertFalse(Firewall.run(n1.netns(), "iptables-save").contains("FLANNEL"), "IPv4 rules left alone on an IPv6-only node");
    }

}
