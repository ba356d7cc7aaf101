package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpRunner;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The traffic tests' view of a node's firewall, read with the real tools in its namespace, and flannel's rules
 * written out as flanneld leaves them (pkg/trafficmngr/iptables/iptables.go {@code masqRules}, {@code forwardRules}).
 */
final class Firewall {
    private Firewall() {}

    static String run(String netns, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        c.addAll(List.of(cmd));
        IpRunner.Result r = IpRunner.run(c, null);
        assertEquals(0, r.exitCode(), String.join(" ", cmd) + ": " + r.stderr());
        return r.stdout();
    }

    /**
     * flannel's IPv6 masquerade rule for {@code network6} (iptables.go {@code masqIP6Rules}) is in ip6tables, and back
     * within a resync period after {@code ip6tables -t nat -F}.
     */
    static void assertIp6MasqueradeRestoredAfterFlush(LabCluster.Node n, String network6) throws InterruptedException {
        String masq = "-A FLANNEL-POSTRTG -s " + network6 + " ! -d ff00::/8 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully";
        org.junit.jupiter.api.Assertions.assertTrue(run(n.netns(), "ip6tables-save", "-t", "nat").contains(masq), masq);
        run(n.netns(), "ip6tables", "-w", "-t", "nat", "-F");
        org.junit.jupiter.api.Assertions.assertFalse(run(n.netns(), "ip6tables-save", "-t", "nat").contains(masq));
        Probe.await("flannel's ip6tables masquerade rules back after a flush", java.time.Duration.ofSeconds(10),
                () -> run(n.netns(), "ip6tables-save", "-t", "nat").contains(masq));
    }

    /** The lines of iptables-save that name a FLANNEL chain (declarations, jumps, rules), in order. */
    static List<String> flannelLines(String netns) {
        return run(netns, "iptables-save").lines().filter(l -> l.contains("FLANNEL")).toList();
    }

    /** What iptables-save shows on a node flanneld set up with --ip-masq (and its default forward rules). */
    static List<String> flannelsLines(Ipv4Cidr network, Ipv4Cidr subnet, boolean masq, boolean forward, boolean randomFully) {
        List<String> l = new ArrayList<>();
        if (forward) {
            l.add(":FLANNEL-FWD - [0:0]");
            l.add("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD");
            l.add("-A FLANNEL-FWD -s " + network + " -m comment --comment \"flanneld forward\" -j ACCEPT");
            l.add("-A FLANNEL-FWD -d " + network + " -m comment --comment \"flanneld forward\" -j ACCEPT");
        }
        if (masq) {
            String m = " -m comment --comment \"flanneld masq\" -j ";
            String masquerade = randomFully ? "MASQUERADE --random-fully" : "MASQUERADE";
            l.add(":FLANNEL-POSTRTG - [0:0]");
            l.add("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG");
            l.add("-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000" + m + "RETURN");
            l.add("-A FLANNEL-POSTRTG -s " + subnet + " -d " + network + m + "RETURN");
            l.add("-A FLANNEL-POSTRTG -s " + network + " -d " + subnet + m + "RETURN");
            l.add("-A FLANNEL-POSTRTG ! -s " + network + " -d " + subnet + m + "RETURN");
            l.add("-A FLANNEL-POSTRTG -s " + network + " ! -d 224.0.0.0/4" + m + masquerade);
            l.add("-A FLANNEL-POSTRTG ! -s " + network + " -d " + network + m + masquerade);
        }
        return l;
    }

    /** flanneld's iptables-restore payload for those rules: what flannel's code feeds iptables-restore --noflush. */
    static String flannelsRestore(Ipv4Cidr network, Ipv4Cidr subnet) {
        StringBuilder s = new StringBuilder();
        List<String> lines = flannelsLines(network, subnet, true, true, true);
        s.append("*filter\n");
        for (String l : lines.subList(0, 4)) s.append(l).append('\n');
        s.append("COMMIT\n*nat\n");
        for (String l : lines.subList(4, lines.size())) s.append(l).append('\n');
        return s.append("COMMIT\n").toString();
    }

    /**
     * The nft script that gives flanneld's nftables tables with --ip-masq: what flannel's nftables.go {@code Init},
     * {@code SetupAndEnsureForwardRules} and {@code addMasqRules} hand knftables, rule for rule.
     */
    static String flannelsNftScript(Ipv4Cidr network, Ipv4Cidr subnet) {
        String t = "ip flannel-ipv4";
        return "add table " + t + " { comment \"rules for flannel-ipv4\" ; }\n"
                + "add table ip6 flannel-ipv6 { comment \"rules for flannel-ipv6\" ; }\n"
                + "add chain " + t + " forward { type filter hook forward priority 0 ; comment \"chain to accept flannel traffic\" ; }\n"
                + "flush chain " + t + " forward\n"
                + "add rule " + t + " forward ip saddr " + network + " accept\n"
                + "add rule " + t + " forward ip daddr " + network + " accept\n"
                + "add chain " + t + " postrtg { type nat hook postrouting priority 100 ; comment \"chain to manage traffic masquerading by flannel\" ; }\n"
                + "flush chain " + t + " postrtg\n"
                + "add rule " + t + " postrtg meta mark 0x4000 return\n"
                + "add rule " + t + " postrtg ip saddr " + subnet + " ip daddr " + network + " return\n"
                + "add rule " + t + " postrtg ip saddr " + network + " ip daddr " + subnet + " return\n"
                + "add rule " + t + " postrtg ip saddr != " + subnet + " ip daddr " + network + " return\n"
                + "add rule " + t + " postrtg ip saddr " + network + " ip daddr != 224.0.0.0/4 masquerade fully-random\n"
                + "add rule " + t + " postrtg ip saddr != " + network + " ip daddr " + network + " masquerade fully-random\n";
    }

    /**
     * {@code nft list table ip flannel-ipv4} on a weft node with --ip-masq: flannel's table, chains, hooks, priorities
     * and comments, with the two masquerade rules weft writes as flannel's iptables manager does (the kube-proxy mark
     * as a bit; outside traffic to this node's pods keeps its source).
     */
    static String weftsNftTable(Ipv4Cidr network, Ipv4Cidr subnet) {
        return "table ip flannel-ipv4 {\n"
                + "\tcomment \"rules for flannel-ipv4\"\n"
                + "\tchain forward {\n"
                + "\t\tcomment \"chain to accept flannel traffic\"\n"
                + "\t\ttype filter hook forward priority filter; policy accept;\n"
                + "\t\tip saddr " + network + " accept\n"
                + "\t\tip daddr " + network + " accept\n"
                + "\t}\n\n"
                + "\tchain postrtg {\n"
                + "\t\tcomment \"chain to manage traffic masquerading by flannel\"\n"
                + "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                + "\t\tmeta mark & 0x00004000 == 0x00004000 return\n"
                + "\t\tip saddr " + subnet + " ip daddr " + network + " return\n"
                + "\t\tip saddr " + network + " ip daddr " + subnet + " return\n"
                + "\t\tip saddr != " + network + " ip daddr " + subnet + " return\n"
                + "\t\tip saddr " + network + " ip daddr != 224.0.0.0/4 masquerade fully-random\n"
                + "\t\tip saddr != " + network + " ip daddr " + network + " masquerade fully-random\n"
                + "\t}\n"
                + "}\n";
    }

    static final String FLANNELS_V6_TABLE = "table ip6 flannel-ipv6 {\n\tcomment \"rules for flannel-ipv6\"\n}\n";

    /** {@code nft list table FAMILY NAME}, or empty when the node has no such table. */
    static Optional<String> nftTable(String netns, String family, String name) {
        IpRunner.Result r = IpRunner.run(List.of("ip", "netns", "exec", netns, "nft", "list", "table", family, name), null);
        return r.exitCode() == 0 ? Optional.of(r.stdout()) : Optional.empty();
    }

    /** Two nodes running weftd, converged, with pod "a" on node 1 and pod "b" on node 2. */
    record TwoNodes(LabCluster lab, LabCluster.Node n1, LabCluster.Pod a, LabCluster.Pod b) {}

    static TwoNodes twoNodes(String prefix, String netConf, boolean forwardDrop, List<String> agentArgs) throws Exception {
        NetnsLab.requireRoot();
        LabCluster lab = new LabCluster(prefix, 2, netConf);
        try {
            if (forwardDrop) for (LabCluster.Node n : lab.nodes()) forwardPolicyDrop(n);
            lab.agentArgs(agentArgs);
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            lab.awaitConverged(Duration.ofSeconds(60));
            return new TwoNodes(lab, lab.node(1), lab.addPod(lab.node(1), "a"), lab.addPod(lab.node(2), "b"));
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    /** The policy Docker sets on every host it runs on. */
    static void forwardPolicyDrop(LabCluster.Node n) {
        run(n.netns(), "iptables", "-w", "-P", "FORWARD", "DROP");
    }

    /** Stops the node's agent and starts it again, returning once the new one reports ready. */
    static void restart(LabCluster lab, LabCluster.Node n) throws Exception {
        lab.stopAgent(n);
        long from = Files.exists(n.log()) ? Files.size(n.log()) : 0;
        lab.startAgent(n);
        awaitLog(lab, n, from, "ready:");
    }

    static void awaitLog(LabCluster lab, LabCluster.Node n, long from, String text) throws InterruptedException {
        Probe.await("\"" + text + "\" in node " + n.index() + "'s log", Duration.ofSeconds(60),
                () -> lab.log(n).substring((int) from).contains(text));
    }

    static void awaitLines(String what, LabCluster.Node n, List<String> want) throws InterruptedException {
        try {
            Probe.await(what, Duration.ofSeconds(15), () -> flannelLines(n.netns()).equals(want));
        } catch (AssertionError e) {
            assertEquals(want, flannelLines(n.netns()), what);
        }
    }
}
