package io.weft.agent.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules weft writes are flannel's, written out here from flannel's code rather than from weft's, so a
 * mistake in one does not hide in the other.
 */
class FlannelRuleSetsTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    static final Ipv4Cidr SUB = Ipv4Cidr.parse("10.244.1.0/24");
    static final Ipv6Cidr NET6 = Ipv6Cidr.parse("fd00:10:244::/56");
    static final Ipv6Cidr SUB6 = Ipv6Cidr.parse("fd00:10:244:1::/64");

    /** flannel pkg/trafficmngr/iptables/iptables.go {@code masqRules}, with and without {@code supports_random_fully}. */
    @Test
    void iptablesMasqueradeRulesAreFlannels() {
        for (boolean fully : new boolean[] {true, false}) {
            String masq = fully ? "MASQUERADE --random-fully" : "MASQUERADE";
            assertEquals(List.of(
                    "-m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                    "! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                    "-s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j " + masq,
                    "! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j " + masq),
                    IptablesManager.masqRules(NET, SUB, fully));
        }
        assertEquals("-m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG", IptablesManager.MASQ_JUMP);
    }

    /** flannel pkg/trafficmngr/iptables/iptables.go {@code forwardRules}. */
    @Test
    void iptablesForwardRulesAreFlannels() {
        assertEquals(List.of("-s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
                "-d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT"), IptablesManager.forwardRules(NET));
        assertEquals("-m comment --comment \"flanneld forward\" -j FLANNEL-FWD", IptablesManager.FWD_JUMP);
    }

    /**
     * flannel pkg/trafficmngr/nftables/nftables.go {@code SetupAndEnsureForwardRules} and {@code addMasqRules}: the
     * same tables, chains, hooks and priorities, and the same rules but two that weft writes as flannel's iptables
     * manager has them (README, "Moving from flannel").
     */
    @Test
    void nftablesRulesAreFlannelsButForTwoNamedOnes() {
        assertEquals("flannel-ipv4", NftablesManager.V4_TABLE);
        assertEquals("flannel-ipv6", NftablesManager.V6_TABLE);
        assertEquals(List.of("type filter hook forward priority filter; policy accept;",
                "ip saddr 10.244.0.0/16 accept", "ip daddr 10.244.0.0/16 accept"), NftablesManager.forwardChain(NET));
        List<String> flannels = List.of("type nat hook postrouting priority srcnat; policy accept;",
                "meta mark 0x00004000 return",
                "ip saddr 10.244.1.0/24 ip daddr 10.244.0.0/16 return",
                "ip saddr 10.244.0.0/16 ip daddr 10.244.1.0/24 return",
                "ip saddr != 10.244.1.0/24 ip daddr 10.244.0.0/16 return",
                "ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
                "ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random");
        List<String> weft = NftablesManager.postrtgChain(NET, SUB, true);
        assertEquals(flannels.size(), weft.size());
        for (int i = 0; i < weft.size(); i++) {
            if (i == 1) assertEquals("meta mark & 0x00004000 == 0x00004000 return", weft.get(i), "the mark as a bit");
            else if (i == 4) assertEquals("ip saddr != 10.244.0.0/16 ip daddr 10.244.1.0/24 return", weft.get(i), "as iptables");
            else assertEquals(flannels.get(i), weft.get(i));
        }
        assertTrue(NftablesManager.postrtgChain(NET, SUB, false).getLast().endsWith(" masquerade"));
    }

    @Test
    void nftScriptReplacesTheTableInOneTransaction() {
        String script = NftablesManager.script("ip", "flannel-ipv4", Map.of("forward", NftablesManager.forwardChain(NET)));
        assertEquals("""
                add table ip flannel-ipv4 { comment "rules for flannel-ipv4" ; }
                delete table ip flannel-ipv4
                add table ip flannel-ipv4 { comment "rules for flannel-ipv4" ; }
                add chain ip flannel-ipv4 forward { type filter hook forward priority filter ; comment "chain to accept flannel traffic" ; }
                add rule ip flannel-ipv4 forward ip saddr 10.244.0.0/16 accept
                add rule ip flannel-ipv4 forward ip daddr 10.244.0.0/16 accept
                """, script);
    }

    @Test
    void nftListingBecomesChainsWithoutComments() {
        String listing = """
                table ip flannel-ipv4 {
                	comment "rules for flannel-ipv4"
                	chain forward {
                		comment "chain to accept flannel traffic"
                		type filter hook forward priority filter; policy accept;
                		ip saddr 10.244.0.0/16 accept
                		ip daddr 10.244.0.0/16 accept
                	}

                	chain postrtg {
                		type nat hook postrouting priority srcnat; policy accept;
                	}
                }
                """;
        assertEquals(Map.of("forward", NftablesManager.forwardChain(NET),
                "postrtg", List.of("type nat hook postrouting priority srcnat; policy accept;")), NftablesManager.parse(listing));
    }

    @Test
    void aRuleReadBackInAnotherFormIsRememberedNotRewrittenForever() {
        Rendering r = new Rendering();
        List<String> written = List.of("a", "b");
        assertTrue(r.matches(written, List.of("a", "b")));
        assertTrue(!r.matches(written, List.of("a", "B")));
        r.learn(written, List.of("a", "B"));
        assertTrue(r.matches(written, List.of("a", "B")));
        assertTrue(!r.matches(written, List.of("a")), "a missing rule still differs");
    }

    /**
     * flannel pkg/trafficmngr/iptables/iptables.go {@code masqIP6Rules} and {@code forwardRules} with the IPv6
     * network, as ip6tables-save prints them: the IPv4 rules' shape with ff00::/8 for multicast.
     */
    @Test
    void ip6tablesRulesAreFlannelsMasqIp6Rules() {
        String c = " -m comment --comment \"flanneld masq\" -j ";
        assertEquals(List.of(
                "-m mark --mark 0x4000/0x4000" + c + "RETURN",
                "-s fd00:10:244:1::/64 -d fd00:10:244::/56" + c + "RETURN",
                "-s fd00:10:244::/56 -d fd00:10:244:1::/64" + c + "RETURN",
                "! -s fd00:10:244::/56 -d fd00:10:244:1::/64" + c + "RETURN",
                "-s fd00:10:244::/56 ! -d ff00::/8" + c + "MASQUERADE --random-fully",
                "! -s fd00:10:244::/56 -d fd00:10:244::/56" + c + "MASQUERADE --random-fully"),
                IptablesManager.masqRules(NET6, SUB6, true));
        assertEquals(List.of("-s fd00:10:244::/56 -m comment --comment \"flanneld forward\" -j ACCEPT",
                "-d fd00:10:244::/56 -m comment --comment \"flanneld forward\" -j ACCEPT"), IptablesManager.forwardRules(NET6));
    }

    /** flannel's nftables.go for IPv6: table ip6 flannel-ipv6, ip6 matches, ff00::/8; the same two named differences. */
    @Test
    void nftablesIpv6ChainsAreFlannelsButForTheSameTwo() {
        assertEquals(List.of("type filter hook forward priority filter; policy accept;",
                "ip6 saddr fd00:10:244::/56 accept", "ip6 daddr fd00:10:244::/56 accept"), NftablesManager.forwardChain(NET6));
        assertEquals(List.of("type nat hook postrouting priority srcnat; policy accept;",
                "meta mark & 0x00004000 == 0x00004000 return",
                "ip6 saddr fd00:10:244:1::/64 ip6 daddr fd00:10:244::/56 return",
                "ip6 saddr fd00:10:244::/56 ip6 daddr fd00:10:244:1::/64 return",
                "ip6 saddr != fd00:10:244::/56 ip6 daddr fd00:10:244:1::/64 return",
                "ip6 saddr fd00:10:244::/56 ip6 daddr != ff00::/8 masquerade",
                "ip6 saddr != fd00:10:244::/56 ip6 daddr fd00:10:244::/56 masquerade"), NftablesManager.postrtgChain(NET6, SUB6, false));
        assertTrue(NftablesManager.script("ip6", "flannel-ipv6", Map.of("forward", NftablesManager.forwardChain(NET6)))
                .contains("add rule ip6 flannel-ipv6 forward ip6 saddr fd00:10:244::/56 accept\n"));
    }
}
