package io.weft.agent.backend.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.subnet.Lease;
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which peer each lease makes on which device, by Mode: flannel's wireguard_network.go handleSubnetEvents (separate:
 * one peer per family and device; auto/ipv4/ipv6: one peer of flannel-wg with both subnets) and its
 * selectPublicEndpoint for auto, as a table.
 */
class WgPeerPlanTest {
    static final String KEY = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    static final Ipv4Cidr SUB4 = Ipv4Cidr.parse("10.244.2.0/24");
    static final Ipv6Cidr SUB6 = Ipv6Cidr.parse("fd00:10:244:2::/64");

    static WireGuardConf conf(String mode) {
        return new WireGuardConf(null, 51820, 51821, 0, mode);
    }

    static Lease dual(String ip4, String ip6, int port, int portV6) {
        return new Lease(SUB4, LeaseRecord.wireguard(Ipv4Address.parse(ip4), Ipv6Address.parse(ip6), KEY, port, portV6),
                Instant.MAX, SUB6);
    }

    static Lease v6only(String ip6, int portV6) {
        return new Lease(null, LeaseRecord.wireguard(null, Ipv6Address.parse(ip6), KEY, 0, portV6), Instant.MAX, SUB6);
    }

    static final Ipv4Address ME4 = Ipv4Address.parse("172.31.0.1");
    static final Ipv6Address ME6 = Ipv6Address.parse("fd00:31::1");

    @Test
    void separateModeMakesOnePeerPerFamilyAndDevice() {
        WgPeerPlan.Peers p = new WgPeerPlan(conf("separate"), ME4, ME6).plan(List.of(dual("172.31.0.2", "fd00:31::2", 51820, 51821)));
        assertEquals(List.of(new WgTool.PeerSpec(KEY, null, endpoint("172.31.0.2", 51820), List.of(SUB4), 0)), p.main());
        assertEquals(List.of(new WgTool.PeerSpec(KEY, null, endpoint("fd00:31::2", 51821), List.of(SUB6), 0)), p.v6());
    }

    /** {mode, peer PublicIP, peer PublicIPv6, our PublicIP, our PublicIPv6, the endpoint address flannel dials}. */
    static final String[][] ONE_DEVICE = {
            {"ipv4", "172.31.0.2", "fd00:31::2", "172.31.0.1", "fd00:31::1", "172.31.0.2"},
            {"ipv6", "172.31.0.2", "fd00:31::2", "172.31.0.1", "fd00:31::1", "fd00:31::2"},
            // auto: private (RFC 1918 / RFC 4193) on both sides: IPv4
            {"auto", "172.31.0.2", "fd00:31::2", "172.31.0.1", "fd00:31::1", "172.31.0.2"},
            // auto: a public IPv4 address wins when we have IPv4
            {"auto", "198.51.100.2", "2001:db8::2", "172.31.0.1", "2001:db8::1", "198.51.100.2"},
            // auto: a private IPv4 but public IPv6 addresses on both ends: IPv6
            {"auto", "10.0.0.2", "2001:db8::2", "10.0.0.1", "2001:db8::1", "2001:db8::2"},
            // auto: public IPv6 on the peer, but ours is a ULA: IPv4
            {"auto", "10.0.0.2", "2001:db8::2", "10.0.0.1", "fd00:31::1", "10.0.0.2"},
    };

    @Test
    void oneDeviceModesPickTheEndpointAsFlannelDoesAndAllowBothSubnets() {
        for (String[] row : ONE_DEVICE) {
            WgPeerPlan plan = new WgPeerPlan(conf(row[0]), Ipv4Address.parse(row[3]), Ipv6Address.parse(row[4]));
            WgPeerPlan.Peers p = plan.plan(List.of(dual(row[1], row[2], 51820, 51820)));
            assertEquals(List.of(new WgTool.PeerSpec(KEY, null, endpoint(row[5], 51820), List.<IpCidr>of(SUB4, SUB6), 0)),
                    p.main(), String.join(" ", row));
            assertTrue(p.v6().isEmpty());
        }
    }

    @Test
    void ipv6OnlyLeasesInEveryModeThatCanReachThem() {
        for (String mode : new String[] {"separate", "auto", "ipv6"}) {
            WgPeerPlan.Peers p = new WgPeerPlan(conf(mode), null, ME6).plan(List.of(v6only("fd00:31::2", 51825)));
            List<WgTool.PeerSpec> on = mode.equals("separate") ? p.v6() : p.main();
            assertEquals(List.of(new WgTool.PeerSpec(KEY, null, endpoint("fd00:31::2", 51825), List.<IpCidr>of(SUB6), 0)), on,
                    mode + ": the lease's BackendV6Data port; auto counts PublicIP 0.0.0.0 as no address");
        }
    }

    @Test
    void aPeerWithoutTheAddressItsModeNeedsIsSkipped() {
        Lease v4peer = new Lease(SUB4, LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.2"), KEY, 51820), Instant.MAX, null);
        assertTrue(new WgPeerPlan(conf("ipv6"), ME4, ME6).plan(List.of(v4peer)).main().isEmpty(),
                "Mode ipv6 cannot reach a peer that publishes no PublicIPv6");
        assertEquals(List.of(new WgTool.PeerSpec(KEY, null, endpoint("172.31.0.2", 51820), List.<IpCidr>of(SUB4), 0)),
                new WgPeerPlan(conf("auto"), ME4, ME6).plan(List.of(v4peer)).main(), "auto falls back to its IPv4 side");
    }

    @Test
    void aLeaseWithoutPortsMeansOurs() {
        Lease old = new Lease(SUB4, LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"fd00:31::2\",\"BackendType\":"
                + "\"wireguard\",\"BackendData\":{\"PublicKey\":\"" + KEY + "\"},\"BackendV6Data\":{\"PublicKey\":\"" + KEY + "\"}}"),
                Instant.MAX, SUB6);
        WgPeerPlan.Peers p = new WgPeerPlan(conf("separate"), ME4, ME6).plan(List.of(old));
        assertEquals(51820, p.main().getFirst().endpoint().getPort());
        assertEquals(51821, p.v6().getFirst().endpoint().getPort(), "our ListenPortV6, as flannel before it published ports");
    }

    static java.net.InetSocketAddress endpoint(String ip, int port) {
        try {
            return new java.net.InetSocketAddress(java.net.InetAddress.getByName(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
