package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.lab.cni.PluginRunner;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Two weftd nodes; every pod is made by the built `weft` CNI plugin, called the way containerd calls it. */
class CniPodsAcrossNodesTest {

    @Test
    void podsMadeByThePluginReachPodsOnTheOtherNodeOverVxlan() throws Exception {
        NetnsLab.requireRoot();
        Path plugin = PluginRunner.find().orElseThrow(() -> new AssertionError(
                "cni-plugin/target/weft is not built: run the build from the repository root (mvn verify)"));
        try (LabCluster lab = new LabCluster("wt-cni", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            lab.awaitConverged(Duration.ofSeconds(60));
            LabCluster.Pod a1 = lab.addPodWithCni(lab.node(1), "a1", plugin);
            LabCluster.Pod a2 = lab.addPodWithCni(lab.node(1), "a2", plugin);
            LabCluster.Pod b1 = lab.addPodWithCni(lab.node(2), "b1", plugin);
            for (LabCluster.Pod p : lab.pods()) {
                SubnetEnv env = SubnetEnv.read(p.node().subnetFile());
                assertTrue(env.subnet().contains(p.ip()), p.ip() + " is inside its node's subnet " + env.subnet());
                assertEquals(env.mtu(), new IpReader(io.weft.core.iproute.Netns.named(p.netns())).link("eth0").orElseThrow().mtu(),
                        "pod MTU is FLANNEL_MTU");
            }
            assertTrue(Probe.reachable(a1, b1), "n1 pod -> n2 pod");
            assertTrue(Probe.reachable(b1, a2), "n2 pod -> n1 pod");
            assertTrue(Probe.reachable(a1, a2), "pods on one node");
        }
    }
}
