package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes whose FORWARD policy is DROP, as Docker leaves every host it runs on: pods on different nodes reach each
 * other because weft installs flannel's FLANNEL-FWD accept rules by default, with and without --ip-masq (flannel
 * main.go: {@code SetupAndEnsureForwardRules} whenever {@code --iptables-forward-rules}, default true;
 * pkg/trafficmngr/iptables/iptables.go {@code forwardRules}).
 */
class ForwardPolicyDropTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    @Test
    void podsCrossNodesWhoseForwardPolicyIsDropWithAndWithoutIpMasq() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-fwd", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        for (LabCluster.Node n : lab.nodes()) Firewall.forwardPolicyDrop(n);

        // The control: with the forward rules turned off, the DROP policy stops pod traffic between nodes.
        lab.agentArgs(List.of("--iptables-forward-rules=false"));
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        LabCluster.Pod a = lab.addPod(lab.node(1), "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        assertFalse(Probe.reachable(a, b), "FORWARD DROP without accept rules drops pod traffic");
        for (LabCluster.Node n : lab.nodes()) assertEquals(List.of(), Firewall.flannelLines(n.netns()));

        // flanneld's default: FLANNEL-FWD, without --ip-masq
        lab.agentArgs(List.of());
        for (LabCluster.Node n : lab.nodes()) Firewall.restart(lab, n);
        assertTrue(Probe.reachable(a, b), "a -> b with the forward rules and no --ip-masq");
        assertTrue(Probe.reachable(b, a), "b -> a");
        for (LabCluster.Node n : lab.nodes()) {
            assertEquals(Firewall.flannelsLines(NET, subnet(n), false, true, true), Firewall.flannelLines(n.netns()));
        }

        // and with --ip-masq: both chains, one jump each
        lab.agentArgs(List.of("--ip-masq"));
        for (LabCluster.Node n : lab.nodes()) Firewall.restart(lab, n);
        assertTrue(Probe.reachable(a, b), "a -> b with --ip-masq");
        assertTrue(Probe.reachable(b, a), "b -> a with --ip-masq");
        for (LabCluster.Node n : lab.nodes()) {
            assertEquals(Firewall.flannelsLines(NET, subnet(n), true, true, true), Firewall.flannelLines(n.netns()));
            assertTrue(SubnetEnv.read(n.subnetFile()).ipMasq());
        }
    }

    private static Ipv4Cidr subnet(LabCluster.Node n) throws Exception {
        return SubnetEnv.read(n.subnetFile()).subnet();
    }
}
