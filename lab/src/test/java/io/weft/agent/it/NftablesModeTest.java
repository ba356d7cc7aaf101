package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code "EnableNFTables": true} programs flannel's own nftables tables (pkg/trafficmngr/nftables/nftables.go
 * {@code Init}, {@code SetupAndEnsureForwardRules}, {@code SetupAndEnsureMasqRules}), keeps them through
 * {@code nft flush ruleset}, and a node switching modes keeps no rule of the other one (flannel removes the other mode's
 * rules when it starts: iptables.go {@code CleanUp}, nftables.go {@code cleanUp}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NftablesModeTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    static final String NFT = "{\"Network\":\"10.244.0.0/16\",\"EnableNFTables\":true,\"Backend\":{\"Type\":\"vxlan\"}}";
    static final String IPT = "{\"Network\":\"10.244.0.0/16\",\"EnableNFTables\":false,\"Backend\":{\"Type\":\"vxlan\"}}";
    static LabCluster lab;
    static LabCluster.Node n1;
    static LabCluster.Pod a;
    static LabCluster.Pod b;

    @BeforeAll
    static void start() throws Exception {
        Firewall.TwoNodes t = Firewall.twoNodes("wt-nft", NFT, false, List.of("--ip-masq", "--iptables-resync", "1"));
        lab = t.lab();
        n1 = t.n1();
        a = t.a();
        b = t.b();
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static Ipv4Cidr subnet() throws Exception {
        return SubnetEnv.read(n1.subnetFile()).subnet();
    }

    static void assertWeftsTables() throws Exception {
        assertEquals(Optional.of(Firewall.weftsNftTable(NET, subnet())), Firewall.nftTable(n1.netns(), "ip", "flannel-ipv4"));
        assertEquals(Optional.of(Firewall.FLANNELS_V6_TABLE), Firewall.nftTable(n1.netns(), "ip6", "flannel-ipv6"));
    }

    @Test
    @Order(1)
    void flannelsTablesAndNoIptablesRules() throws Exception {
        assertWeftsTables();
        assertEquals(List.of(), Firewall.flannelLines(n1.netns()), "no iptables rules in nftables mode");
        assertTrue(Probe.reachable(a, b));
        assertTrue(Probe.reachable(b, a));
    }

    @Test
    @Order(2)
    void afterNftFlushRulesetTheTablesComeBack() throws Exception {
        Firewall.run(n1.netns(), "nft", "flush", "ruleset");
        assertEquals(Optional.empty(), Firewall.nftTable(n1.netns(), "ip", "flannel-ipv4"));
        Probe.await("flannel-ipv4 back after nft flush ruleset", Duration.ofSeconds(15),
                () -> Firewall.nftTable(n1.netns(), "ip", "flannel-ipv4").equals(Optional.of(Firewall.weftsNftTable(NET, subnet0()))));
        assertWeftsTables();
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(3)
    void switchingToIptablesLeavesNoNftablesRules() throws Exception {
        Files.writeString(lab.netConf(), IPT);
        long from = Files.size(n1.log());
        Firewall.restart(lab, n1);
        assertEquals(Optional.empty(), Firewall.nftTable(n1.netns(), "ip", "flannel-ipv4"));
        assertEquals(Optional.empty(), Firewall.nftTable(n1.netns(), "ip6", "flannel-ipv6"));
        assertEquals(Firewall.flannelsLines(NET, subnet(), true, true, true), Firewall.flannelLines(n1.netns()));
        assertTrue(lab.log(n1).substring((int) from).contains("removed the nftables rules"), lab.log(n1));
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(4)
    void switchingBackToNftablesLeavesNoIptablesRules() throws Exception {
        Files.writeString(lab.netConf(), NFT);
        Firewall.restart(lab, n1);
        assertEquals(List.of(), Firewall.flannelLines(n1.netns()), "FLANNEL-POSTRTG, FLANNEL-FWD and their jumps are gone");
        assertWeftsTables();
        assertTrue(Probe.reachable(a, b));
    }

    private static Ipv4Cidr subnet0() {
        try {
            return subnet();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
