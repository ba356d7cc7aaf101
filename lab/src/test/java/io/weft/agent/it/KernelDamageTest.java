package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hand-deleted kernel entries come back at once although the agents run with weftd's own --resync-interval (30 s, no
 * fast timer): the kernel's notifications (ip monitor) wake the agent, which then reads the kernel and repairs it. Two
 * nodes in namespaces, kernel VXLAN; each entry must be back within 5 s, far below the 30 s full check.
 */
class KernelDamageTest {
    static LabCluster lab;
    static LabCluster.Pod a;
    static LabCluster.Pod b;

    @BeforeAll
    static void start() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-kd", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        lab.resyncInterval(null); // as production runs it
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        a = lab.addPod(lab.node(1), "a");
        b = lab.addPod(lab.node(2), "b");
        assertTrue(Probe.reachable(a, b));
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static void del(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "-n", lab.node(1).netns()));
        cmd.addAll(List.of(args));
        NetnsLab.sh(cmd.toArray(String[]::new));
    }

    @Test
    void aDeletedRouteNeighbourAndFdbEntryComeBackWithinSeconds() throws Exception {
        IpReader r = new IpReader(lab.node(1).ns());
        RouteEntry route = r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).findFirst().orElseThrow();
        del("route", "del", route.dst().toString(), "dev", "flannel.1");
        Probe.await("the route to " + route.dst() + " back", Duration.ofSeconds(5), () -> r.routes().contains(route));

        NeighEntry neigh = r.permanentNeighbours("flannel.1").getFirst();
        del("neigh", "del", neigh.ip().toString(), "dev", "flannel.1");
        Probe.await("the neighbour " + neigh.ip() + " back", Duration.ofSeconds(5),
                () -> r.permanentNeighbours("flannel.1").contains(neigh));

        FdbEntry fdb = r.vxlanFdb("flannel.1").getFirst();
        NetnsLab.sh("bridge", "-n", lab.node(1).netns(), "fdb", "del", fdb.mac().toString(), "dev", "flannel.1", "dst",
                fdb.dst().toString());
        Probe.await("the FDB entry for " + fdb.mac() + " back", Duration.ofSeconds(5), () -> r.vxlanFdb("flannel.1").contains(fdb));

        assertTrue(Probe.reachable(a, b), "pods talk after the repairs");
    }
}
