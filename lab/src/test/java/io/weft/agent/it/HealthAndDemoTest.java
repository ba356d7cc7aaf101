package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.demo.DemoCommand;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HealthAndDemoTest {

    @Test
    void healthReadyAndMetricsAreServed() throws Exception {
        NetnsLab.requireRoot();
        try (LabCluster lab = new LabCluster("wt-hz", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            lab.agentArgs(List.of("--healthz-ip", "127.0.0.1", "--healthz-port", "9797"));
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            lab.awaitConverged(Duration.ofSeconds(60));
            LabCluster.Node ns = lab.node(1);
            Probe.await("/readyz to answer 200", Duration.ofSeconds(10),
                    () -> LabCluster.get(ns, 9797, "/readyz").startsWith("HTTP/1.1 200"));
            assertTrue(LabCluster.get(ns, 9797, "/healthz").startsWith("HTTP/1.1 200"), LabCluster.get(ns, 9797, "/healthz"));
            String metrics = LabCluster.get(ns, 9797, "/metrics");
            assertTrue(metrics.contains("\nweft_ready 1\n"), metrics);
            assertTrue(metrics.contains("\nweft_remote_leases 1\n"), metrics);
            assertTrue(metrics.contains("# TYPE weft_reconcile_rounds_total counter"), metrics);
        }
    }

    @Test
    void theDemoPingsEveryPairAndLeavesNothingBehind() {
        String out = demo("--nodes", "2", "--pods", "2", "--no-iperf");
        assertTrue(out.contains("8/8 cross-node pod pings answered"), out);
        assertTrue(out.contains("══ VXLAN UDP 8472 ══>"), "the closing trace draws the path:\n" + out);
        assertTrue(out.contains("verdict    healthy"), "the closing trace asked both nodes and found the pair healthy:\n" + out);
    }

    @Test
    void theDemoWithEtcdKeepsTheLeasesThere() {
        String out = demo("--nodes", "2", "--pods", "1", "--no-iperf", "--store", "etcd");
        assertTrue(out.contains("config at /coreos.com/network/config"), out);
        assertTrue(out.contains("leases in etcd"), out);
        assertTrue(out.contains("2/2 cross-node pod pings answered"), out);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().command().orElse("").equals("/usr/bin/etcd")),
                "etcd stopped with the demo");
    }

    /** Runs the demo, checks it succeeded and removed everything, returns what it printed. */
    private static String demo(String... args) {
        NetnsLab.requireRoot();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new DemoCommand()).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("[8/8] removing the cluster"), out);
        assertEquals(List.of(), NetnsLab.leftovers("wdemo"), "no namespaces left");
        return out;
    }
}
