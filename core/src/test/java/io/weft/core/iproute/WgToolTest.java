package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code wg show <dev> dump} parsing: what the backend compares, with the keys it must not keep reduced to digests. */
class WgToolTest {
    // made-up keys in wg's format (wg genkey / genpsk output shapes)
    static final String PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    static final String PUB = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    static final String PEER1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    static final String PEER2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
    static final String PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

    @Test
    void parsesTheDeviceAndItsPeersWithoutKeepingSecrets() {
        String dump = PRIV + "\t" + PUB + "\t51820\toff\n"
                + PEER1 + "\t" + PSK + "\t172.31.0.2:51820\t10.244.2.0/24\t1765000000\t1024\t2048\t25\n"
                + PEER2 + "\t(none)\t(none)\t10.244.3.0/24,fd00::/64\t0\t0\t0\toff\n";
        WgTool.Device d = WgTool.parseDump(dump);
        assertEquals(PUB, d.publicKey());
        assertEquals(51820, d.listenPort());
        assertEquals(2, d.peers().size());
        WgTool.PeerState p1 = d.peers().get(0);
        assertEquals(PEER1, p1.publicKey());
        assertEquals("172.31.0.2:51820", p1.endpoint());
        assertEquals(List.of(Ipv4Cidr.parse("10.244.2.0/24")), p1.allowedIps());
        assertEquals(1765000000, p1.latestHandshakeEpochSeconds());
        assertEquals(25, p1.persistentKeepalive());
        assertEquals(new WgTool.PeerSpec(PEER1, PSK, null, List.of(), 0).presharedKeyDigest(), p1.presharedKeyDigest());
        assertFalse(d.toString().contains(PRIV), "the private key is not kept");
        assertFalse(d.toString().contains(PSK), "the pre-shared key is not kept");
        WgTool.PeerState p2 = d.peers().get(1);
        assertEquals("", p2.presharedKeyDigest());
        assertEquals("", p2.endpoint());
        assertEquals(List.<IpCidr>of(Ipv4Cidr.parse("10.244.3.0/24"), Ipv6Cidr.parse("fd00::/64")), p2.allowedIps(),
                "both families: one flannel-wg carries both outside separate mode");
        assertEquals(0, p2.persistentKeepalive());
    }

    @Test
    void endpointsAreWrittenAsWgPrintsThem() throws Exception {
        String dump = PRIV + "\t" + PUB + "\t51821\toff\n"
                + PEER1 + "\t(none)\t[fd00:31::2]:51821\tfd00:10:244:2::/64\t0\t0\t0\toff\n";
        WgTool.PeerState p = WgTool.parseDump(dump).peers().get(0);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("fd00:31:0:0:0:0:0:2"), 51821);
        assertEquals(p.endpoint(), WgTool.endpoint(v6), "brackets and the short form, or every resync would re-set the peer");
        assertEquals("172.31.0.2:51820", WgTool.endpoint(new InetSocketAddress(InetAddress.getByName("172.31.0.2"), 51820)));
        assertEquals(List.<IpCidr>of(Ipv6Cidr.parse("fd00:10:244:2::/64")), p.allowedIps());
    }

    @Test
    void aPeerSpecPrintsNoPsk() {
        assertTrue(new WgTool.PeerSpec(PEER1, PSK, null, List.of(), 0).toString().contains("psk (set)"));
        assertFalse(new WgTool.PeerSpec(PEER1, PSK, null, List.of(), 0).toString().contains(PSK));
    }

    @Test
    void commandsRunInTheNamespace() {
        assertEquals(List.of("ip", "netns", "exec", "n1", "wg", "show"), Netns.named("n1").exec(List.of("wg", "show")));
        assertEquals(List.of("wg", "show"), Netns.CURRENT.exec(List.of("wg", "show")));
    }
}
