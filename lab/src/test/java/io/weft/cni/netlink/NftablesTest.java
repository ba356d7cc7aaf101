package io.weft.cni.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.lab.netns.NetnsLab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The masquerade rules over nf_tables' netlink socket, in a namespace made here, read back with nft(8): what weft
 * writes is what {@code nft add rule} would have written, the comment included, and deleting by comment takes
 * exactly the rules carrying it.
 */
class NftablesTest {
    @BeforeAll
    static void rootLibraryAndNft() {
        NetnsLab.requireRoot();
        assertTrue(Native.isAvailable(), "the JNI library did not load: " + Native.unavailabilityCause());
        assertEquals(0, NetnsLab.run("nft", "--version").exitCode(), "nft(8) reads the rules back: apt-get install nftables");
    }

    @Test
    void masqueradeRulesAreWhatNftWouldWriteAndGoByTheirComment() throws Exception {
        try (NetnsLab lab = new NetnsLab("nft")) {
            String node = lab.netns("node");
            String ns = "/var/run/netns/" + node;
            try (Nftables nft = Nftables.open(ns)) {
                nft.appendMasquerade("weft-cni", "postrouting", IpAddress.parse("10.244.1.5"), IpCidr.parse("10.244.0.0/16"), "weft:a/eth0");
                nft.appendMasquerade("weft-cni", "postrouting", IpAddress.parse("10.244.1.6"), IpCidr.parse("10.244.0.0/16"), "weft:b/eth0");
                nft.appendMasquerade("weft-cni", "postrouting", IpAddress.parse("fd00:10:244:1::5"), IpCidr.parse("fd00:10:244::/56"), "weft:a/eth0");
            }
            String v4 = NetnsLab.exec(node, "nft", "list", "table", "ip", "weft-cni");
            assertTrue(v4.contains("type nat hook postrouting priority srcnat; policy accept;"), v4);
            assertTrue(v4.contains("ip saddr 10.244.1.5 ip daddr != 10.244.0.0/16 masquerade comment \"weft:a/eth0\""), v4);
            assertTrue(v4.contains("ip saddr 10.244.1.6 ip daddr != 10.244.0.0/16 masquerade comment \"weft:b/eth0\""), v4);
            String v6 = NetnsLab.exec(node, "nft", "list", "table", "ip6", "weft-cni");
            assertTrue(v6.contains("ip6 saddr fd00:10:244:1::5 ip6 daddr != fd00:10:244::/56 masquerade comment \"weft:a/eth0\""), v6);

            try (Nftables nft = Nftables.open(ns)) {
                assertEquals(2, nft.deleteByComment("weft-cni", "postrouting", "weft:a/eth0"), "one rule in each family");
            }
            String after = NetnsLab.exec(node, "nft", "list", "ruleset");
            assertFalse(after.contains("weft:a/eth0"), after);
            assertTrue(after.contains("weft:b/eth0"), after);
            try (Nftables nft = Nftables.open(ns)) {
                assertEquals(0, nft.deleteByComment("weft-cni", "postrouting", "weft:a/eth0"), "nothing left to delete");
                assertEquals(0, nft.deleteByComment("no-such", "postrouting", "x"), "no table is no rule");
            }
        }
    }

    @Test
    void aRefusedBatchNamesItsStepAndChangesNothing() throws Exception {
        try (NetnsLab lab = new NetnsLab("nfte")) {
            String node = lab.netns("node");
            // a filter chain of that name already: the nat chain cannot be made, so the whole batch is refused
            NetnsLab.exec(node, "nft", "add table ip weft-cni; add chain ip weft-cni postrouting { type filter hook postrouting priority 0; }");
            NetlinkException e;
            try (Nftables nft = Nftables.open("/var/run/netns/" + node)) {
                e = assertThrows(NetlinkException.class, () -> nft.appendMasquerade("weft-cni", "postrouting",
                        IpAddress.parse("10.244.1.5"), IpCidr.parse("10.244.0.0/16"), "weft:a/eth0"));
            }
            assertTrue(e.getMessage().startsWith("nft add chain ip weft-cni postrouting"), e.getMessage());
            assertFalse(NetnsLab.exec(node, "nft", "list", "ruleset").contains("masquerade"), "nothing of the batch applied");
        }
    }
}
