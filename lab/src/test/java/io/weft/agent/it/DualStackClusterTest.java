package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.subnet.Lease;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.cluster.LabCluster;
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
 * A dual-stack cluster of three weftd agents in network namespaces, kernel VXLAN backend, the underlay a veth LAN
 * with its default offloads carrying both families: beside flannel.1, each node has flannel's second device
 * flannel-v6.1 over the IPv6 underlay (pkg/backend/vxlan/vxlan.go RegisterNetwork) with the v6 route, neighbour and
 * FDB entry per peer that vxlan_network.go handleSubnetEvents adds; pods reach each other over both families; a
 * deleted flannel-v6.1 comes back; a restart under ping6 loses nothing. Needs root; fails without.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DualStackClusterTest {
    static final String V6 = "flannel-v6.1";
    static LabCluster lab;
    static List<SubnetEnv> envs = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-ds", 3, "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
                + "\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
        lab.ipv6Underlay(false);
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        for (LabCluster.Node n : lab.nodes()) envs.add(lab.awaitSubnetEnv(n, Duration.ofSeconds(60)));
        lab.awaitConverged(Duration.ofSeconds(30));
        for (LabCluster.Node n : lab.nodes()) lab.addPod(n, "a");
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static SubnetEnv env(LabCluster.Node n) {
        return envs.get(n.index() - 1);
    }

    static LeaseRecord lease(LabCluster.Node n) throws Exception {
        String key = Lease.key(env(n).subnet(), env(n).ipv6Subnet());
        return LeaseRecord.parse(Files.readString(lab.leaseDir().resolve("subnets").resolve(key)));
    }

    /** The IPv6 routes on flannel-v6.1 but the kernel's own link-local one (fe80::/64 comes with every device). */
    static List<RouteEntry> overlayRoutes(IpReader r) {
        return r.routes6().stream().filter(e -> V6.equals(e.dev()) && !e.dst().equals(Ipv6Cidr.parse("fe80::/64"))).toList();
    }

    @Test
    @Order(1)
    void eachNodeHasBothDevicesAndPublishesBothFamilies() throws Exception {
        for (LabCluster.Node n : lab.nodes()) {
            IpReader r = new IpReader(n.ns());
            LinkInfo v4 = r.link("flannel.1").orElseThrow();
            LinkInfo v6 = r.link(V6).orElseThrow(() -> new AssertionError(V6 + " missing on node " + n.index()));
            assertEquals(new LinkInfo.Vxlan(1, 8472, n.ipv6(), "eth0", false), v6.vxlan(), "over the IPv6 underlay");
            assertEquals(1500 - 70, v6.mtu(), "the IPv6 underlay's overhead is 70 bytes");
            assertEquals(1500 - 50, v4.mtu());
            assertTrue(v6.up());
            assertNotEquals(v4.mac(), v6.mac(), "each device has its own VtepMAC");
            Ipv6Cidr s6 = env(n).ipv6Subnet();
            assertTrue(lab.netns() != null && s6 != null && new Ipv6Cidr(s6.network(), 64).equals(s6), "a /64 per node: " + s6);
            assertEquals(List.of(new IfAddress(V6, s6.network(), 128)), r.globalAddresses6(V6), "flannel's /128 address");
            LeaseRecord l = lease(n);
            assertEquals(n.ip(), l.publicIp());
            assertEquals(n.ipv6(), l.publicIpv6());
            assertEquals(v4.mac(), l.vtepMac());
            assertEquals(v6.mac(), l.vtepMacV6(), "BackendV6Data carries flannel-v6.1's MAC");
            assertEquals(1, l.vniV6());
            assertEquals(1500 - 50, env(n).mtu(), "FLANNEL_MTU as flannel's vxlan MTU()");
            for (String dev : List.of("flannel.1", V6)) {
                assertEquals("0", NetnsLab.exec(n.netns(), "cat", "/proc/sys/net/ipv6/conf/" + dev + "/accept_ra").strip(),
                        "router advertisements refused on " + dev + " of node " + n.index() + ", as flannel's newVXLANDevice (pkg/backend/vxlan/device.go) sets it");
            }
        }
    }

    @Test
    @Order(2)
    void everyNodeHasExactlyFlannelsV6RoutesNeighboursAndFdb() throws Exception {
        for (LabCluster.Node n : lab.nodes()) {
            Set<RouteEntry> routes = new HashSet<>();
            Set<NeighEntry> neighs = new HashSet<>();
            Set<FdbEntry> fdb = new HashSet<>();
            for (LabCluster.Node peer : lab.nodes()) {
                if (peer == n) continue;
                Ipv6Cidr s = env(peer).ipv6Subnet();
                MacAddress mac = lease(peer).vtepMacV6();
                routes.add(RouteEntry.onlink(s, s.network(), V6));
                neighs.add(new NeighEntry(s.network(), mac, V6));
                fdb.add(new FdbEntry(mac, V6, peer.ipv6()));
            }
            IpReader r = new IpReader(n.ns());
            assertEquals(routes, Set.copyOf(overlayRoutes(r)));
            assertEquals(neighs, Set.copyOf(r.permanentNeighbours(V6)));
            assertEquals(fdb, Set.copyOf(r.vxlanFdb(V6)));
            assertEquals(2, r.vxlanFdb("flannel.1").size(), "the IPv4 side as before");
            assertTrue(r.routes6().contains(RouteEntry.direct(env(n).ipv6Subnet(), "cni0")), "the local v6 subnet goes to cni0");
        }
    }

    @Test
    @Order(3)
    void podsReachEachOtherOverBothFamilies() {
        Probe.assertCrossNodePairsAnswer(lab.pods(), true);
    }

    @Test
    @Order(4)
    void restartingAnAgentUnderPing6LosesNothingAndChangesNothing() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        IpReader r = new IpReader(n1.ns());
        LinkInfo before = r.link(V6).orElseThrow();
        Set<RouteEntry> routesBefore = Set.copyOf(r.routes6());
        long logBefore = Files.size(n1.log());

        // ping picks IPv6 from the address
        String out = Probe.pingAcrossRestart(lab, n1, lab.pods().get(0), lab.pods().get(1).ip6().toString());
        assertTrue(out.contains(" 0% packet loss"), "continuous ping6 across the restart: " + out);

        String restartLog = lab.log(n1).substring((int) logBefore);
        assertFalse(restartLog.contains("reconcile: "), "a healthy restart changes no entry:\n" + restartLog);
        assertFalse(restartLog.contains("created " + V6), restartLog);
        LinkInfo after = r.link(V6).orElseThrow();
        assertEquals(before.index(), after.index(), V6 + " was not recreated");
        assertEquals(before.mac(), after.mac());
        assertEquals(routesBefore, Set.copyOf(r.routes6()));
    }

    @Test
    @Order(5)
    void aDeletedV6DeviceComesBackWithItsMacAndEntries() throws Exception {
        LabCluster.Node n2 = lab.node(2);
        IpReader r = new IpReader(n2.ns());
        MacAddress mac = r.link(V6).orElseThrow().mac();
        IpRunner.run(List.of("ip", "-n", n2.netns(), "link", "del", V6), null).orThrow();
        try {
            Probe.await(V6 + " to come back on node 2", Duration.ofSeconds(10), () -> r.link(V6).isPresent()
                    && overlayRoutes(r).size() == 2 && r.vxlanFdb(V6).size() == 2 && r.permanentNeighbours(V6).size() == 2);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + lab.log(n2), e);
        }
        assertEquals(mac, r.link(V6).orElseThrow().mac(), "same VtepMAC, so peers need no change");
        assertTrue(r.link("flannel.1").isPresent(), "the IPv4 device is untouched");
        LabCluster.Pod onN2 = lab.pods().get(1);
        for (LabCluster.Pod other : lab.pods()) {
            if (other == onN2) continue;
            assertEquals(0, Probe.ping6(onN2, other, 3).exitCode(), "n2 -> " + other.ip6() + " after repair");
            assertTrue(Probe.reachable(onN2, other), "IPv4 still");
        }
    }

    @Test
    @Order(6)
    void masqueradeV6RulesAreInPlace() throws Exception {
        // the agents run without --ip-masq: only flannel's forward rules, for each family
        for (LabCluster.Node n : lab.nodes()) {
            String save = Firewall.run(n.netns(), "ip6tables-save", "-t", "filter");
            assertTrue(save.contains("-A FLANNEL-FWD -s fd00:10:244::/56 -m comment --comment \"flanneld forward\" -j ACCEPT"), save);
        }
    }
}
