package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three nodes in network namespaces, one weftd process each, kernel VXLAN backend: the tables flannel would
 * program, pods reaching each other, restarts that change nothing, and self-repair.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelVxlanClusterTest {
    static LabCluster lab;
    static List<SubnetEnv> envs = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-kv", 3, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        for (LabCluster.Node n : lab.nodes()) envs.add(lab.awaitSubnetEnv(n, Duration.ofSeconds(60)));
        lab.awaitConverged(Duration.ofSeconds(30));
        for (LabCluster.Node n : lab.nodes()) lab.addPod(n, "a");
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static LeaseRecord lease(int node) throws Exception {
        Ipv4Cidr s = envs.get(node - 1).subnet();
        return LeaseRecord.parse(Files.readString(lab.leaseDir().resolve("subnets").resolve(s.toKey())));
    }

    @Test
    @Order(1)
    void vxlanDeviceHasFlannelsAttributes() throws Exception {
        for (LabCluster.Node n : lab.nodes()) {
            LinkInfo l = new IpReader(n.ns()).link("flannel.1").orElseThrow();
            assertEquals("vxlan", l.kind());
            assertEquals(1, l.vxlan().vni());
            assertEquals(8472, l.vxlan().port());
            assertFalse(l.vxlan().learning(), "nolearning");
            assertEquals(n.ip(), l.vxlan().local());
            assertEquals("eth0", l.vxlan().dev());
            assertEquals(1500 - 50, l.mtu());
            assertTrue(l.up());
            Ipv4Cidr subnet = envs.get(n.index() - 1).subnet();
            assertEquals(List.of(new IfAddress("flannel.1", subnet.network(), 32)), new IpReader(n.ns()).addresses("flannel.1"));
            assertEquals(l.mac(), lease(n.index()).vtepMac(), "lease publishes the device's MAC");
        }
    }

    @Test
    @Order(2)
    void subnetEnvMatchesTheLease() throws Exception {
        Set<Ipv4Cidr> distinct = new HashSet<>();
        for (LabCluster.Node n : lab.nodes()) {
            String text = Files.readString(n.subnetFile());
            SubnetEnv env = envs.get(n.index() - 1);
            assertTrue(text.contains("FLANNEL_NETWORK=10.244.0.0/16\n"), text);
            assertTrue(text.contains("FLANNEL_SUBNET=" + env.subnet().firstHost() + "/24\n"), text);
            assertTrue(text.contains("FLANNEL_MTU=1450\n"), text);
            assertTrue(text.contains("FLANNEL_IPMASQ=false\n"), text);
            assertTrue(distinct.add(env.subnet()), "subnets differ between nodes");
            assertEquals(n.ip(), lease(n.index()).publicIp());
            assertEquals("vxlan", lease(n.index()).backendType());
        }
    }

    @Test
    @Order(3)
    void everyNodeHasExactlyFlannelsRoutesNeighboursAndFdb() throws Exception {
        for (LabCluster.Node n : lab.nodes()) {
            Set<RouteEntry> routes = new HashSet<>();
            Set<NeighEntry> neighs = new HashSet<>();
            Set<FdbEntry> fdb = new HashSet<>();
            for (LabCluster.Node peer : lab.nodes()) {
                if (peer == n) continue;
                Ipv4Cidr s = envs.get(peer.index() - 1).subnet();
                MacAddress mac = lease(peer.index()).vtepMac();
                routes.add(RouteEntry.onlink(s, s.network(), "flannel.1"));
                neighs.add(new NeighEntry(s.network(), mac, "flannel.1"));
                fdb.add(new FdbEntry(mac, "flannel.1", peer.ip()));
            }
            IpReader r = new IpReader(n.ns());
            assertEquals(routes, Set.copyOf(r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).toList()));
            assertEquals(neighs, Set.copyOf(r.permanentNeighbours("flannel.1")));
            assertEquals(fdb, Set.copyOf(r.vxlanFdb("flannel.1")));
            assertTrue(r.routes().contains(RouteEntry.direct(envs.get(n.index() - 1).subnet(), "cni0")),
                    "the local subnet goes to cni0");
        }
    }

    @Test
    @Order(4)
    void podsOnDifferentNodesReachEachOther() {
        Probe.assertCrossNodePairsAnswer(lab.pods(), false);
    }

    @Test
    @Order(5)
    void restartingAnAgentLosesNoPacketAndChangesNothing() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        IpReader r = new IpReader(n1.ns());
        LinkInfo before = r.link("flannel.1").orElseThrow();
        List<RouteEntry> routesBefore = r.routes();
        long logBefore = Files.size(n1.log());

        String out = Probe.pingAcrossRestart(lab, n1, lab.pods().get(0), lab.pods().get(1).ip().toString());
        assertTrue(out.contains(" 0% packet loss"), "continuous ping across the restart: " + out);

        String restartLog = lab.log(n1).substring((int) logBefore);
        assertFalse(restartLog.contains("reconcile: "), "a healthy restart changes no entry:\n" + restartLog);
        assertFalse(restartLog.contains("created flannel.1"), restartLog);
        LinkInfo after = r.link("flannel.1").orElseThrow();
        assertEquals(before.index(), after.index(), "flannel.1 was not recreated");
        assertEquals(before.mac(), after.mac());
        assertEquals(Set.copyOf(routesBefore), Set.copyOf(r.routes()));
    }

    @Test
    @Order(6)
    void aDeletedVxlanDeviceComesBack() throws Exception {
        LabCluster.Node n2 = lab.node(2);
        IpReader r = new IpReader(n2.ns());
        MacAddress mac = r.link("flannel.1").orElseThrow().mac();
        IpRunner.run(List.of("ip", "-n", n2.netns(), "link", "del", "flannel.1"), null).orThrow();
        Probe.await("flannel.1 to come back on node 2", Duration.ofSeconds(10), () -> r.link("flannel.1").isPresent()
                && r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).count() == 2);
        assertEquals(mac, r.link("flannel.1").orElseThrow().mac(), "same VtepMAC, so peers need no change");
        LabCluster.Pod onN2 = lab.pods().get(1);
        for (LabCluster.Pod other : lab.pods()) {
            if (other != onN2) assertTrue(Probe.reachable(onN2, other), "n2 -> " + other.ip() + " after repair");
        }
    }

    @Test
    @Order(7)
    void metricsAndSigtermLeaveTheDatapath() throws Exception {
        LabCluster.Node n3 = lab.node(3);
        lab.stopAgent(n3);
        // The datapath stays while the agent is down: pods keep talking.
        assertTrue(Probe.reachable(lab.pods().get(2), lab.pods().get(0)));
        assertTrue(Probe.reachable(lab.pods().get(0), lab.pods().get(2)));
        assertNotNull(new IpReader(n3.ns()).link("flannel.1").orElse(null));
    }

    @Test
    @Order(8)
    void aRemovedLeaseDisappearsFromEveryOtherNode() throws Exception {
        LabCluster.Node n3 = lab.node(3);
        Ipv4Cidr gone = envs.get(2).subnet();
        MacAddress goneMac = lease(3).vtepMac();
        Files.delete(lab.leaseDir().resolve("subnets").resolve(gone.toKey()));
        long t0 = System.nanoTime();
        for (LabCluster.Node n : List.of(lab.node(1), lab.node(2))) {
            IpReader r = new IpReader(n.ns());
            Probe.await("node " + n.index() + " to drop " + gone, Duration.ofSeconds(10),
                    () -> r.routes().stream().noneMatch(e -> e.dst().equals(gone))
                            && r.permanentNeighbours("flannel.1").stream().noneMatch(e -> e.ip().equals(gone.network()))
                            && r.vxlanFdb("flannel.1").stream().noneMatch(e -> e.mac().equals(goneMac)));
            assertEquals(1, r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).count(), "the other peer stays");
        }
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        assertTrue(Probe.reachable(lab.pods().get(0), lab.pods().get(1)), "remaining nodes unaffected");
        assertFalse(n3.ip() == null);
    }
}
