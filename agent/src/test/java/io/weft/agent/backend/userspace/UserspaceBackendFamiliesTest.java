package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the userspace backend wants from leases of either family, as flannel's vxlan backend programs its two devices
 * (pkg/backend/vxlan/vxlan_network.go handleSubnetEvents: per lease, the IPv4 side on flannel.N from PublicIP and
 * BackendData, the IPv6 side on flannel-v6.N from PublicIPv6 and BackendV6Data). No device is opened: desired() only
 * computes entries and fills the VTEPs' peer tables.
 */
class UserspaceBackendFamiliesTest {
    static final BackendConf CONF = new BackendConf(BackendConf.VXLAN, 1, 8472, false, 0, BackendConf.USERSPACE);
    static final MacAddress MAC4 = MacAddress.parse("0a:00:00:00:00:02");
    static final MacAddress MAC6 = MacAddress.parse("0a:00:00:00:06:02");
    static final Ipv4Cidr OWN4 = Ipv4Cidr.parse("10.244.1.0/24");
    static final Ipv6Cidr OWN6 = Ipv6Cidr.parse("fd00:10:244:1::/64");
    static final Ipv4Cidr PEER4 = Ipv4Cidr.parse("10.244.2.0/24");
    static final Ipv6Cidr PEER6 = Ipv6Cidr.parse("fd00:10:244:2::/64");

    static UserspaceVxlanBackend backend(Ipv4Address v4, Ipv6Address v6) {
        return new UserspaceVxlanBackend(CONF, "eth0", v4, 1500, null, Netns.CURRENT, true, true, v6, null);
    }

    static Lease own(boolean v4, boolean v6) {
        return new Lease(v4 ? OWN4 : null, LeaseRecord.vxlan(null, null, null, null, 1), Instant.MAX, v6 ? OWN6 : null);
    }

    static Lease peer(boolean v4, boolean v6) {
        return new Lease(v4 ? PEER4 : null, LeaseRecord.vxlan(v4 ? Ipv4Address.parse("172.31.0.2") : null, v4 ? MAC4 : null,
                v6 ? Ipv6Address.parse("fd00:31::2") : null, v6 ? MAC6 : null, 1), Instant.MAX, v6 ? PEER6 : null);
    }

    @Test
    void dualStackProgramsBothDevices() {
        UserspaceVxlanBackend b = backend(Ipv4Address.parse("172.31.0.1"), Ipv6Address.parse("fd00:31::1"));
        DesiredState d = b.desired(own(true, true), List.of(peer(true, true)));
        assertEquals(Set.of(RouteEntry.onlink(PEER4, PEER4.network(), "flannel.1"),
                RouteEntry.onlink(PEER6, PEER6.network(), "flannel-v6.1")), d.routes());
        assertEquals(Set.of(new NeighEntry(PEER4.network(), MAC4, "flannel.1"),
                new NeighEntry(PEER6.network(), MAC6, "flannel-v6.1")), d.neighbours());
        assertTrue(d.fdb().isEmpty(), "the FDB is the datapath's own table");
        assertEquals("172.31.0.2", b.peers().snapshot().byMac(MAC4.value()).publicIp().toString());
        assertEquals("fd00:31::2", b.ipv6().peers().snapshot().byMac(MAC6.value()).publicIp().toString());
        assertNull(b.peers().snapshot().byMac(MAC6.value()), "the IPv6 VtepMAC is not flannel.1's peer");
        assertEquals(Set.of("flannel.1", "flannel-v6.1"), b.ownedDevices());
        assertEquals(1450, b.mtu(), "FLANNEL_MTU from flannel.1");
        assertEquals(1430, b.ipv6().mtu(), "flannel-v6.1 70 below the underlay, as the kernel's vxlan6 device");
        assertNotEquals(b.vtepMac(), b.ipv6().mac(), "each VTEP its own VtepMAC");
    }

    @Test
    void ipv6OnlyRunsFlannelV6Alone() {
        UserspaceVxlanBackend b = backend(null, Ipv6Address.parse("fd00:31::1"));
        DesiredState d = b.desired(own(false, true), List.of(peer(false, true)));
        assertEquals(Set.of(RouteEntry.onlink(PEER6, PEER6.network(), "flannel-v6.1")), d.routes());
        assertEquals(Set.of("flannel-v6.1"), b.ownedDevices());
        assertEquals("flannel-v6.1", b.device());
        assertEquals(1430, b.mtu());
    }

    @Test
    void aPeerWithoutTheIpv6SideGetsOnlyIpv4Entries() {
        UserspaceVxlanBackend b = backend(Ipv4Address.parse("172.31.0.1"), Ipv6Address.parse("fd00:31::1"));
        DesiredState d = b.desired(own(true, true), List.of(peer(true, false)));
        assertEquals(Set.of(RouteEntry.onlink(PEER4, PEER4.network(), "flannel.1")), d.routes());
        assertTrue(b.ipv6().peers().snapshot().peers().isEmpty());
    }

    @Test
    void ownIpv6SubnetIsNoPeer() {
        UserspaceVxlanBackend b = backend(null, Ipv6Address.parse("fd00:31::1"));
        Lease self = new Lease(null, LeaseRecord.vxlan(null, null, Ipv6Address.parse("fd00:31::1"), MAC6, 1), Instant.MAX, OWN6);
        assertTrue(b.desired(own(false, true), List.of(self)).routes().isEmpty());
    }

    @Test
    void theIpv4VtepMacIsDerivedAsBeforeIpv6() {
        UserspaceVxlanBackend b = backend(Ipv4Address.parse("172.31.0.1"), Ipv6Address.parse("fd00:31::1"));
        // a node upgraded in place keeps the VtepMAC its peers hold even without its previous lease
        assertEquals(MacAddress.localFromSeed((1L << 32) | Ipv4Address.parse("172.31.0.1").unsigned()), b.vtepMac());
    }
}
