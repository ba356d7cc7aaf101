package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A flannel net-conf.json with {@code "MTU": 1400} means an underlay of 1400 bytes: flannel's vxlan backend
 * (pkg/backend/vxlan/vxlan.go RegisterNetwork, device.go newVXLANDevice) gives flannel.1 and FLANNEL_MTU 1400 - 50,
 * and so must weft, or pods send packets 50 bytes too big for the underlay the config describes.
 */
@Timeout(120)
class BackendMtuTest {
    @Test
    void backendMtuIsTheUnderlaysAndTheOverlayGetsFiftyLess() throws Exception {
        NetnsLab.requireRoot();
        try (LabCluster lab = new LabCluster("wt-mtu", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":1400}}")) {
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            for (LabCluster.Node n : lab.nodes()) {
                SubnetEnv env = lab.awaitSubnetEnv(n, Duration.ofSeconds(60));
                assertEquals(1350, env.mtu(), "FLANNEL_MTU");
                assertEquals(1350, new IpReader(n.ns()).link("flannel.1").orElseThrow().mtu(), "flannel.1's MTU on node " + n.index());
            }
            lab.awaitConverged(Duration.ofSeconds(30));
            LabCluster.Pod a = lab.addPod(lab.node(1), "a");
            LabCluster.Pod b = lab.addPod(lab.node(2), "b");
            // the largest packet a pod may send (1350 bytes: 20 IP + 8 ICMP + 1322) crosses unfragmented
            var big = NetnsLab.run("ip", "netns", "exec", a.netns(), "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1322",
                    b.ip().toString());
            assertEquals(0, big.exitCode(), big.stdout() + big.stderr());
            var tooBig = NetnsLab.run("ip", "netns", "exec", a.netns(), "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1323",
                    b.ip().toString());
            assertTrue(tooBig.exitCode() != 0, "one byte more does not fit the pod's MTU");
        }
    }
}
