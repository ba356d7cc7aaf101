package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.BlackholeRoute;
import io.weft.core.iproute.IpReader;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * --ip-blackhole-route, as flannel's main.go does it for Canal: a blackhole route for the node's own subnet, put back
 * every resync when it goes (flannel's loop calls ip.AddBlackholeV4Route every --iptables-resync).
 */
@Timeout(120)
class BlackholeRouteTest {
    @Test
    void theNodesSubnetGetsABlackholeRouteThatComesBack() throws Exception {
        NetnsLab.requireRoot();
        try (LabCluster lab = new LabCluster("wt-bh", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            lab.agentArgs(List.of("--ip-blackhole-route", "-iptables-resync=1"));
            LabCluster.Node n = lab.node(1);
            lab.startAgent(n);
            SubnetEnv env = lab.awaitSubnetEnv(n, Duration.ofSeconds(60));
            BlackholeRoute want = new BlackholeRoute(env.subnet());
            awaitRoute(n, want);
            NetnsLab.sh("ip", "-n", n.netns(), "route", "del", "blackhole", env.subnet().toString());
            awaitRoute(n, want);
        }
    }

    private static void awaitRoute(LabCluster.Node n, BlackholeRoute want) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (new IpReader(n.ns()).blackholeRoutes().contains(want)) return;
            Thread.sleep(100);
        }
        assertTrue(false, "no blackhole route for " + want.dst() + " within 10 s");
    }
}
