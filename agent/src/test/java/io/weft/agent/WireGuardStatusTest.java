package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.backend.wireguard.tunnel.WgCounters;
import io.weft.agent.backend.wireguard.tunnel.WgDrop;
import io.weft.agent.status.NodeStatus;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code weftd status} makes of a wireguard node's device (a {@link WireGuardBackend.View} as the kernel's or
 * weft's own device reports it): the peer each lease asks for, held or not, and the counters of weft's own device.
 * The lab's {@code WireGuardStatusAndTraceTest} shows the same on a running pair.
 */
class WireGuardStatusTest {
    static final String KEY = "cGVlcmtleXBlZXJrZXlwZWVya2V5cGVlcmtleXBlZXI=";
    static final Ipv4Cidr SUBNET = Ipv4Cidr.parse("10.244.2.0/24");
    static final Lease LEASE = new Lease(SUBNET, LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.2"), KEY, 51820),
            Instant.parse("2026-12-08T00:00:00Z"));

    static WgTool.PeerState held(String key, List<? extends io.weft.core.net.IpCidr> allowed) {
        return new WgTool.PeerState(key, "", "172.31.0.2:40000", List.copyOf(allowed), 0, 0, 0, 0);
    }

    static WireGuardBackend.View view(List<WgTool.PeerState> peers, List<WgCounters> counters) {
        return new WireGuardBackend.View("kernel", true, 51820, "b3Vya2V5b3Vya2V5b3Vya2V5b3Vya2V5b3Vya2V5b3U=", peers, counters);
    }

    @Test
    void aPeerHeldWithItsSubnetIsInPlaceWhereverItRoamed() {
        List<NodeStatus.Entry> e = WireGuardStatus.entries(LEASE, view(List.of(held(KEY, List.of(SUBNET))), List.of()));
        assertEquals(1, e.size());
        assertEquals("wireguard peer", e.get(0).kind());
        assertEquals("peer " + KEY + " endpoint 172.31.0.2:51820 allowed-ips 10.244.2.0/24", e.get(0).want());
        assertTrue(e.get(0).present(), "the endpoint moved to port 40000: WireGuard roams, nothing is wrong");
        assertNull(WireGuardStatus.counters("172.31.0.2", view(List.of(), List.of())), "the kernel's device has no counters here");
    }

    @Test
    void aPeerMissingOrWithoutItsSubnetIsNot() {
        NodeStatus.Entry missing = WireGuardStatus.entries(LEASE, view(List.of(), List.of())).get(0);
        assertFalse(missing.present());
        assertNull(missing.have());
        NodeStatus.Entry wrong = WireGuardStatus.entries(LEASE, view(List.of(held(KEY, List.of(Ipv4Cidr.parse("10.244.3.0/24")))),
                List.of())).get(0);
        assertFalse(wrong.present());
        assertEquals("peer " + KEY + " endpoint 172.31.0.2:40000 allowed-ips [10.244.3.0/24]", wrong.have());
        Lease vxlan = new Lease(SUBNET, LeaseRecord.hostGw(Ipv4Address.parse("172.31.0.2")), Instant.now());
        assertEquals(List.of(), WireGuardStatus.entries(vxlan, view(List.of(), List.of())), "a lease of another backend asks for no peer");
    }

    @Test
    void aDualStackLeaseAsksForEachFamilysPeer() {
        io.weft.core.net.Ipv6Cidr sub6 = io.weft.core.net.Ipv6Cidr.parse("fd00:10:244:2::/64");
        Lease dual = new Lease(SUBNET, LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.2"),
                io.weft.core.net.Ipv6Address.parse("fd00:31::2"), KEY, 51820, 51821), Instant.parse("2026-12-08T00:00:00Z"), sub6);
        // separate mode: the same key on flannel-wg (IPv4 subnet) and flannel-wg-v6 (IPv6 subnet)
        List<NodeStatus.Entry> e = WireGuardStatus.entries(dual, view(List.of(held(KEY, List.of(SUBNET)), held(KEY, List.of(sub6))),
                List.of()));
        assertEquals(List.of("peer " + KEY + " endpoint 172.31.0.2:51820 allowed-ips 10.244.2.0/24",
                "peer " + KEY + " allowed-ips fd00:10:244:2::/64"), e.stream().map(NodeStatus.Entry::want).toList());
        assertTrue(e.stream().allMatch(NodeStatus.Entry::present));
        NodeStatus.Entry noV6 = WireGuardStatus.entries(dual, view(List.of(held(KEY, List.of(SUBNET))), List.of())).get(1);
        assertFalse(noV6.present(), "the IPv6 subnet routed by no peer");
    }

    @Test
    void weftsOwnDeviceCountsPerPeerAndStrangers() {
        WgCounters peer = new WgCounters("172.31.0.2");
        peer.drop(WgDrop.REPLAY);
        WgCounters strangers = new WgCounters("unknown");
        strangers.drop(WgDrop.UNKNOWN_PEER);
        strangers.drop(WgDrop.UNKNOWN_PEER);
        WireGuardBackend.View v = view(List.of(held(KEY, List.of(SUBNET))), List.of(peer, strangers));
        assertEquals(1L, WireGuardStatus.counters("172.31.0.2", v).drops().get("replay"));
        assertEquals(0L, WireGuardStatus.counters("172.31.0.9", v).rxPackets(), "a peer the device has not met yet");
        BackendConf conf = new BackendConf("wireguard", 0, 0, false, 0, "userspace", WireGuardConf.defaults());
        NodeStatus.Backend b = WireGuardStatus.backend(conf, new Underlay("eth0", Ipv4Address.parse("172.31.0.1"),
                Ipv4Cidr.parse("172.31.0.0/24"), 1500), 1500, 1420, v);
        assertEquals("flannel-wg", b.device());
        assertEquals(51820, b.port());
        assertEquals(2L, b.strangers().drops().get("unknown_peer"));
        assertTrue(b.features().contains("public key b3Vya2V5"), b.features());
    }
}
