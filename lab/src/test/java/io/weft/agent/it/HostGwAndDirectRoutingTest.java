package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.RouteEntry;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** host-gw and vxlan DirectRouting: plain routes via the peer's public IP, no tunnel; and the masquerade rules. */
class HostGwAndDirectRoutingTest {
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    private void assertRoutesViaPeers(String otherDevice) throws Exception {
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        for (LabCluster.Node n : lab.nodes()) {
            Set<RouteEntry> want = lab.nodes().stream().filter(p -> p != n).map(p -> {
                try {
                    return RouteEntry.via(SubnetEnv.read(p.subnetFile()).subnet(), p.ip(), "eth0");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }).collect(Collectors.toSet());
            Set<RouteEntry> have = new IpReader(n.ns()).routes().stream()
                    .filter(r -> r.dst().network().toString().startsWith("10.244.") && !"cni0".equals(r.dev()))
                    .collect(Collectors.toSet());
            assertEquals(want, have, "node " + n.index());
            if (otherDevice != null) {
                assertEquals(0, new IpReader(n.ns()).permanentNeighbours(otherDevice).size(), "no overlay neighbours");
            }
        }
        LabCluster.Pod a = lab.addPod(lab.node(1), "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        assertTrue(Probe.reachable(a, b));
        assertTrue(Probe.reachable(b, a));
    }

    @Test
    void hostGwRoutesViaPeersAndPodsTalk() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-hgw", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}");
        assertRoutesViaPeers(null);
    }

    @Test
    void vxlanDirectRoutingSkipsTheTunnelOnOneSegment() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-dr", 2,
                "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}");
        assertRoutesViaPeers("flannel.1");
    }

    @Test
    void ipMasqInstallsFlannelsChainsOnceAcrossRestarts() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-masq", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        lab.agentArgs(java.util.List.of("--ip-masq"));
        LabCluster.Node n = lab.node(1);
        for (int round = 0; round < 2; round++) {
            int readyBefore = lab.log(n).split("ready:", -1).length;
            lab.startAgent(n);
            try {
                Probe.await("ready", Duration.ofSeconds(60), () -> lab.log(n).split("ready:", -1).length > readyBefore);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.log(n));
            }
            assertTrue(lab.log(n).contains("iptables rules for 10.244.0.0/16"), lab.log(n));
            lab.stopAgent(n);
        }
        String nat = IpRunner.run(java.util.List.of("ip", "netns", "exec", n.netns(), "iptables-save", "-t", "nat"), null)
                .orThrow().stdout();
        SubnetEnv env = SubnetEnv.read(n.subnetFile());
        assertTrue(nat.contains("-A FLANNEL-POSTRTG -s " + env.subnet() + " -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN"), nat);
        assertTrue(nat.contains("-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully"), nat);
        assertEquals(1, nat.lines().filter(l -> l.startsWith("-A POSTROUTING") && l.contains("FLANNEL-POSTRTG")).count(),
                "one jump after two starts:\n" + nat);
        assertEquals(6, nat.lines().filter(l -> l.startsWith("-A FLANNEL-POSTRTG")).count(), nat);
        assertTrue(SubnetEnv.read(n.subnetFile()).ipMasq());
        String filter = IpRunner.run(java.util.List.of("ip", "netns", "exec", n.netns(), "iptables-save", "-t", "filter"), null)
                .orThrow().stdout();
        assertEquals(1, filter.lines().filter(l -> l.startsWith("-A FORWARD") && l.contains("FLANNEL-FWD")).count(), filter);
    }
}
