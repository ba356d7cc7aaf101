package io.weft.agent.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 side of flannel's firewall rules, programmed by {@link TrafficRules} in a fresh namespace with the real
 * ip6tables and nft: flannel's {@code masqIP6Rules} and {@code forwardRules} in ip6tables
 * (pkg/trafficmngr/iptables/iptables.go), its {@code ip6 flannel-ipv6} table in nftables mode
 * (pkg/trafficmngr/nftables/nftables.go), each back within one resync after a flush. Needs root; fails without.
 */
class Ipv6TrafficRulesTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    static final Ipv4Cidr SUB = Ipv4Cidr.parse("10.244.1.0/24");
    static final Ipv6Cidr NET6 = Ipv6Cidr.parse("fd00:10:244::/56");
    static final Ipv6Cidr SUB6 = Ipv6Cidr.parse("fd00:10:244:1::/64");
    static final TrafficRules.Options OPTIONS = new TrafficRules.Options(true, true, false, Duration.ofMillis(300));

    private NetnsLab lab;
    private String ns;

    @BeforeEach
    void lab() {
        lab = new NetnsLab("wt6");
        ns = lab.netns("n");
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    private String run(String... cmd) {
        return NetnsLab.exec(ns, cmd);
    }

    private List<String> flannelLines(String save) {
        return run(save).lines().filter(l -> l.contains("FLANNEL")).toList();
    }

    /** What ip6tables-save shows on a node flanneld set up for the IPv6 network with --ip-masq. */
    static List<String> flannelsV6Lines() {
        String m = " -m comment --comment \"flanneld masq\" -j ";
        return List.of(
                ":FLANNEL-FWD - [0:0]",
                "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD",
                "-A FLANNEL-FWD -s " + NET6 + " -m comment --comment \"flanneld forward\" -j ACCEPT",
                "-A FLANNEL-FWD -d " + NET6 + " -m comment --comment \"flanneld forward\" -j ACCEPT",
                ":FLANNEL-POSTRTG - [0:0]",
                "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG",
                "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000" + m + "RETURN",
                "-A FLANNEL-POSTRTG -s " + SUB6 + " -d " + NET6 + m + "RETURN",
                "-A FLANNEL-POSTRTG -s " + NET6 + " -d " + SUB6 + m + "RETURN",
                "-A FLANNEL-POSTRTG ! -s " + NET6 + " -d " + SUB6 + m + "RETURN",
                "-A FLANNEL-POSTRTG -s " + NET6 + " ! -d ff00::/8" + m + "MASQUERADE --random-fully",
                "-A FLANNEL-POSTRTG ! -s " + NET6 + " -d " + NET6 + m + "MASQUERADE --random-fully");
    }

    private static <T> void await(String what, T want, Supplier<T> have) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!want.equals(have.get())) {
            if (System.nanoTime() > deadline) assertEquals(want, have.get(), what);
            Thread.sleep(100);
        }
    }

    @Test
    void dualStackIp6tablesRulesAreFlannelsAndComeBackAfterAFlush() throws Exception {
        try (TrafficRules rules = new TrafficRules(Netns.named(ns), false, OPTIONS)) {
            rules.ensure(NET, SUB, NET6, SUB6);
            assertEquals(flannelsV6Lines(), flannelLines("ip6tables-save"));
            assertTrue(flannelLines("iptables-save").contains("-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "
                    + "\"flanneld forward\" -j ACCEPT"), "the IPv4 rules beside them");

            run("ip6tables", "-w", "-F");
            run("ip6tables", "-w", "-t", "nat", "-F");
            assertEquals(List.of(":FLANNEL-FWD - [0:0]", ":FLANNEL-POSTRTG - [0:0]"), flannelLines("ip6tables-save"));
            await("ip6tables rules back within a resync period", flannelsV6Lines(), () -> flannelLines("ip6tables-save"));
        }
    }

    @Test
    void ipv6OnlyProgramsIp6tablesAndLeavesIptablesAlone() throws Exception {
        try (TrafficRules rules = new TrafficRules(Netns.named(ns), false, OPTIONS)) {
            rules.ensure(null, null, NET6, SUB6);
            assertEquals(flannelsV6Lines(), flannelLines("ip6tables-save"));
            assertEquals(List.of(), flannelLines("iptables-save"));
        }
    }

    @Test
    void nftablesModeWritesFlannelsIp6TableAndRewritesItAfterAFlush() throws Exception {
        String want = """
                table ip6 flannel-ipv6 {
                	comment "rules for flannel-ipv6"
                	chain forward {
                		comment "chain to accept flannel traffic"
                		type filter hook forward priority filter; policy accept;
                		ip6 saddr fd00:10:244::/56 accept
                		ip6 daddr fd00:10:244::/56 accept
                	}

                	chain postrtg {
                		comment "chain to manage traffic masquerading by flannel"
                		type nat hook postrouting priority srcnat; policy accept;
                		meta mark & 0x00004000 == 0x00004000 return
                		ip6 saddr fd00:10:244:1::/64 ip6 daddr fd00:10:244::/56 return
                		ip6 saddr fd00:10:244::/56 ip6 daddr fd00:10:244:1::/64 return
                		ip6 saddr != fd00:10:244::/56 ip6 daddr fd00:10:244:1::/64 return
                		ip6 saddr fd00:10:244::/56 ip6 daddr != ff00::/8 masquerade fully-random
                		ip6 saddr != fd00:10:244::/56 ip6 daddr fd00:10:244::/56 masquerade fully-random
                	}
                }
                """;
        try (TrafficRules rules = new TrafficRules(Netns.named(ns), true, OPTIONS)) {
            rules.ensure(NET, SUB, NET6, SUB6);
            assertEquals(want, run("nft", "list", "table", "ip6", "flannel-ipv6"));
            assertTrue(run("nft", "list", "table", "ip", "flannel-ipv4").contains("ip saddr 10.244.0.0/16 accept"));

            run("nft", "flush", "ruleset");
            await("table ip6 flannel-ipv6 back after nft flush ruleset", want, () -> {
                IpRunner.Result r = IpRunner.run(List.of("ip", "netns", "exec", ns, "nft", "list", "table", "ip6", "flannel-ipv6"), null);
                return r.stdout();
            });
        }
    }
}
