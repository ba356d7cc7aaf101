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

    /** The node as a start could have changed it: its device, its lease files, subnet.env, its firewall chains. */
    private static String footprint(LabCluster lab, LabCluster.Node n) throws Exception {
        String leases;
        try (var files = Files.list(lab.leaseDir().resolve("subnets"))) {
            leases = files.map(p -> p.getFileName().toString()).sorted().toList().toString();
        } catch (java.nio.file.NoSuchFileException e) {
            leases = "[]";
        }
        return "flannel.1=" + new IpReader(n.ns()).link("flannel.1").isPresent() + " leases=" + leases + " subnet.env="
                + Files.exists(n.subnetFile()) + " FLANNEL-FWD=" + NetnsLab.run("ip", "netns", "exec", n.netns(), "iptables",
                "-S", "FLANNEL-FWD").stdout().contains("-N FLANNEL-FWD");
    }

    private String lastLine(LabCluster.Node n) {
        List<String> lines = lab.log(n).strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void aNetworkOverlappingTheUnderlayOrARouteIsRefusedAndTheNodeStaysAsItWas() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-ovl", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        LabCluster.Node n1 = lab.node(1);
        String before = footprint(lab, n1);
        Path bad = lab.workDir().resolve("bad.json");
        // the underlay is 172.31.0.0/24: pods in 172.16.0.0/12 would hide every other node
        Files.writeString(bad, "{\"Network\":\"172.16.0.0/12\",\"Backend\":{\"Type\":\"vxlan\"}}");
        assertEquals(1, runToExit(n1, bad));
        assertEquals("weftd: bad network config: Network: 172.16.0.0/12 overlaps the underlay: eth0 has 172.31.0.1/24; pick a "
                + "Network that no node address uses", lastLine(n1));
        // a network the node routes to through a router
        NetnsLab.sh("ip", "-n", n1.netns(), "route", "add", "10.99.0.0/16", "via", "172.31.0.254");
        Files.writeString(bad, "{\"Network\":\"10.96.0.0/12\",\"Backend\":{\"Type\":\"vxlan\"}}");
        assertEquals(1, runToExit(n1, bad));
        assertTrue(lastLine(n1).startsWith("weftd: bad network config: Network: 10.96.0.0/12 overlaps this node's route to "
                + "10.99.0.0/16 via 172.31.0.254 dev eth0"), lastLine(n1));
        assertEquals(before, footprint(lab, n1), "node untouched");
    }

    @Test
    void aBackendMtuAboveTheUnderlaysIsRefusedAtStart() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-bmtu", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":9000}}");
        LabCluster.Node n1 = lab.node(1);
        String before = footprint(lab, n1);
        assertEquals(1, runToExit(n1, lab.netConf()));
        assertEquals("weftd: bad network config: Backend.MTU: 9000 is more than eth0 carries (its MTU is 1500): Backend.MTU is "
                + "the underlay's MTU, as in flannel; give at most 1500, or leave it out to use eth0's", lastLine(n1));
        assertEquals(before, footprint(lab, n1), "no flannel.1, no lease, no subnet.env, no rules");
    }

    @Test
    void aSecondAgentOnTheNodeIsRefusedWhateverItsDebugSocket() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-two", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        LabCluster.Node n1 = lab.node(1);
        lab.startAgent(n1);
        lab.awaitSubnetEnv(n1, Duration.ofSeconds(60));
        for (List<String> socket : List.of(List.of("--debug-socket", ""), List.of("--debug-socket", n1.dir().resolve("other.sock").toString()))) {
            List<String> cmd = new java.util.ArrayList<>(lab.agentCommand(n1));
            cmd.addAll(socket); // the last --debug-socket counts
            Process second = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(second.getInputStream().readAllBytes());
            assertTrue(second.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, second.exitValue(), out);
            assertEquals("weftd: another weftd is already running on this node (it holds @weftd in this network namespace): "
                    + "stop it first; two agents would fight over one device, its routes and the node's lease", out.strip());
        }
        assertTrue(lab.agent(n1).isAlive(), "the first agent runs on");
    }
}
