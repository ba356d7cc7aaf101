package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * flannel's rules come back after a firewall reload: weft checks them every --iptables-resync as flanneld's resync
 * goroutines do (pkg/trafficmngr/iptables/iptables.go {@code setupAndEnsureIP4Tables}, {@code ensureIPTables}), and
 * also mends a duplicated jump that flannel's presence check misses. --random-fully follows iptables' version
 * (go-iptables {@code HasRandomFully}) unless --ip-masq-fully-random-disable. Nodes run with FORWARD policy DROP, so
 * a lost FLANNEL-FWD shows as lost pod traffic.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RuleResyncTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    static LabCluster lab;
    static LabCluster.Node n1;
    static LabCluster.Pod a;
    static LabCluster.Pod b;

    @BeforeAll
    static void start() throws Exception {
        Firewall.TwoNodes t = Firewall.twoNodes("wt-resync", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}",
                true, List.of("--ip-masq", "--iptables-resync", "1"));
        lab = t.lab();
        n1 = t.n1();
        a = t.a();
        b = t.b();
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static List<String> flannels(boolean randomFully) throws Exception {
        return Firewall.flannelsLines(NET, SubnetEnv.read(n1.subnetFile()).subnet(), true, true, randomFully);
    }

    @Test
    @Order(1)
    void rulesAreFlannelsWithRandomFullyWhereIptablesHasIt() throws Exception {
        String version = Firewall.run(n1.netns(), "iptables", "--version");
        assertTrue(version.matches("(?s)iptables v1\\.(8|9|1\\d)\\..*"), "this machine's iptables has --random-fully: " + version);
        assertEquals(flannels(true), Firewall.flannelLines(n1.netns()));
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(2)
    void afterIptablesFlushTheRulesComeBackAndPodsTalkAgain() throws Exception {
        Firewall.run(n1.netns(), "iptables", "-w", "-F");
        Firewall.run(n1.netns(), "iptables", "-w", "-t", "nat", "-F");
        assertFalse(Firewall.flannelLines(n1.netns()).contains(flannels(true).get(1)), "the FORWARD jump is gone");
        Firewall.awaitLines("rules back within a resync period after iptables -F", n1, flannels(true));
        assertTrue(Probe.reachable(a, b), "pods talk again");
        assertTrue(lab.log(n1).contains("iptables rules were changed on this node; restored them"), lab.log(n1));
    }

    @Test
    @Order(3)
    void afterNftFlushRulesetTheRulesComeBack() throws Exception {
        Firewall.run(n1.netns(), "nft", "flush", "ruleset");
        assertEquals(List.of(), Firewall.flannelLines(n1.netns()));
        Firewall.awaitLines("rules back after nft flush ruleset", n1, flannels(true));
        Firewall.forwardPolicyDrop(n1); // the flush took the DROP policy too; with it back, the rules carry the pods
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(4)
    void aDuplicatedJumpAndAForeignRuleInTheChainAreMended() throws Exception {
        Firewall.run(n1.netns(), "iptables", "-w", "-t", "nat", "-I", "POSTROUTING", "1", "-m", "comment", "--comment",
                "flanneld masq", "-j", "FLANNEL-POSTRTG");
        Firewall.run(n1.netns(), "iptables", "-w", "-I", "FLANNEL-FWD", "1", "-s", "10.244.0.0/16", "-j", "DROP");
        Firewall.awaitLines("one jump and flannel's rules only", n1, flannels(true));
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(5)
    void aRestartRewritesNothing() throws Exception {
        assertTrue(Probe.reachable(a, b));
        String before = counters();
        assertFalse(before.contains("[0:0] -A FLANNEL-FWD -s"), "pings went through FLANNEL-FWD: " + before);
        long from = Files.size(n1.log());
        Firewall.restart(lab, n1);
        assertTrue(lab.log(n1).substring((int) from).contains("iptables rules for 10.244.0.0/16: already in place"),
                lab.log(n1).substring((int) from));
        assertEquals(before, counters(), "packet counters kept: the rules were not rewritten");
    }

    @Test
    @Order(6)
    void ipMasqFullyRandomDisableMasqueradesWithoutRandomFully() throws Exception {
        lab.agentArgs(List.of("--ip-masq", "--iptables-resync", "1", "--ip-masq-fully-random-disable"));
        Firewall.restart(lab, n1);
        assertEquals(flannels(false), Firewall.flannelLines(n1.netns()));
        assertTrue(Probe.reachable(a, b));
    }

    /** FLANNEL-FWD's rules with their packet counters. */
    private static String counters() {
        return String.join("\n", Firewall.run(n1.netns(), "iptables-save", "-c", "-t", "filter").lines()
                .filter(l -> l.contains("-A FLANNEL-FWD")).toList());
    }
}
