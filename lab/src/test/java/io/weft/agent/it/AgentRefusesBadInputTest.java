package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.jvm.ChildJvm;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.RouteEntry;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.traffic.PortHolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a user gets wrong is refused with one line naming the cause, and the node stays as it was. */
class AgentRefusesBadInputTest {
    LabCluster lab;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
    }

    /** Runs weftd on a node with the given config until it exits, returns its exit code; its log holds stderr. */
    private int runToExit(LabCluster.Node n, Path conf) throws Exception {
        Process p = lab.startAgent(n, conf);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "weftd should exit by itself:\n" + lab.log(n));
        return p.exitValue();
    }

    @Test
    void badNetConfIsRefusedByFieldNameAndLeavesRoutesAlone() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-bad", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        LabCluster.Node n1 = lab.node(1);
        IpReader r = new IpReader(n1.ns());
        Set<RouteEntry> routes = Set.copyOf(r.routes());
        LinkInfo dev = r.link("flannel.1").orElseThrow();
        String env = Files.readString(n1.subnetFile());
        lab.stopAgent(n1);

        Path bad = lab.workDir().resolve("bad.json");
        Files.writeString(bad, "{\"Network\":\"10.244.0.0/16\",\"SubnetLen\":33,\"Backend\":{\"Type\":\"vxlan\"}}");
        long before = Files.size(n1.log());
        assertEquals(1, runToExit(n1, bad));
        String out = lab.log(n1).substring((int) before);
        assertTrue(out.contains("bad network config: SubnetLen: 33"), out);
        assertEquals(1, out.strip().lines().count(), "one clear line:\n" + out);

        Files.writeString(bad, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":\"1\"}}");
        before = Files.size(n1.log());
        assertEquals(1, runToExit(n1, bad));
        out = lab.log(n1).substring((int) before);
        assertTrue(out.contains("bad network config: Backend.VNI: must be an integer, got string \"1\""), out);

        Files.writeString(bad, "{\"Network\":\"10.244.0.0/16\",");
        before = Files.size(n1.log());
        assertEquals(1, runToExit(n1, bad));
        assertTrue(lab.log(n1).substring((int) before).contains("not valid JSON"), lab.log(n1));

        assertEquals(routes, Set.copyOf(r.routes()), "routes untouched");
        assertEquals(dev.index(), r.link("flannel.1").orElseThrow().index(), "flannel.1 untouched");
        assertEquals(env, Files.readString(n1.subnetFile()), "subnet.env untouched");
        assertTrue(Probe.reachable(lab.addPod(n1, "p"), lab.addPod(lab.node(2), "p")), "traffic still flows");
    }

    @Test
    void portTakenIsNamedAndNothingIsLeftBehind() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-port", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        LabCluster.Node n1 = lab.node(1);
        // Another program holds UDP 8472 on this node.
        Process holder = new ProcessBuilder(ChildJvm.command(n1.netns(), null, List.of(), PortHolder.class.getName(), List.of("8472")))
                .redirectErrorStream(true).start();
        try {
            assertEquals("bound", new String(holder.getInputStream().readNBytes(5)));
            assertEquals(1, runToExit(n1, lab.netConf()));
            String out = lab.log(n1);
            assertTrue(out.contains("UDP port 8472 is already in use"), out);
            assertTrue(new IpReader(n1.ns()).link("flannel.1").isEmpty(), "no half-made device left");
            assertFalse(Files.exists(n1.subnetFile()), "no subnet.env for a node that is not working");
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void anExhaustedPoolIsNamed() throws Exception {
        NetnsLab.requireRoot();
        // A /28 split into /30s: four subnets, the first reserved, so three nodes fit.
        lab = new LabCluster("wt-pool", 4, "{\"Network\":\"10.250.0.0/28\",\"Backend\":{\"Type\":\"host-gw\"}}");
        for (int i = 1; i <= 3; i++) lab.startAgent(lab.node(i));
        for (int i = 1; i <= 3; i++) lab.awaitSubnetEnv(lab.node(i), Duration.ofSeconds(60));
        assertEquals(1, runToExit(lab.node(4), lab.netConf()));
        String out = lab.log(lab.node(4));
        assertTrue(out.contains("subnet pool exhausted: all 3 /30 subnets of 10.250.0.0/28"), out);
        assertEquals(List.of(), new IpReader(lab.node(4).ns()).routes().stream()
                .filter(e -> e.dst().network().toString().startsWith("10.250.")).toList());
    }
}
