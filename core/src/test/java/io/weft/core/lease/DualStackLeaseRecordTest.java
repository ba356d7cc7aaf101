package io.weft.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The lease record with its IPv6 side, in the bytes flannel's json.Marshal of LeaseAttrs (pkg/lease/lease.go: PublicIP,
 * PublicIPv6 a pointer without omitempty, BackendType/BackendData/BackendV6Data with omitempty) writes, for the
 * attributes flannel's backends build (pkg/backend/vxlan newSubnetAttrs, pkg/backend/hostgw RegisterNetwork).
 */
class DualStackLeaseRecordTest {
    static final Ipv4Address IP = Ipv4Address.parse("172.31.0.2");
    static final Ipv6Address IP6 = Ipv6Address.parse("fd00:31::2");
    static final MacAddress MAC = MacAddress.parse("0e:5a:1f:00:00:02");
    static final MacAddress MAC6 = MacAddress.parse("0e:5a:1f:00:06:02");

    @Test
    void dualStackVxlan() {
        LeaseRecord r = LeaseRecord.vxlan(IP, MAC, IP6, MAC6, 1);
        assertEquals("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"fd00:31::2\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:00:02\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:06:02\"}}", r.toJson());
        assertEquals(MAC, r.vtepMac());
        assertEquals(MAC6, r.vtepMacV6());
        assertEquals(1, r.vniV6());
        assertTrue(r.hasIpv6());
        assertEquals(r, LeaseRecord.parse(r.toJson()));
    }

    /** newSubnetAttrs without an IPv4 device: PublicIP stays the zero ip.IP4, BackendData nil and so left out. */
    @Test
    void ipv6OnlyVxlan() {
        LeaseRecord r = LeaseRecord.vxlan(null, null, IP6, MAC6, 1);
        assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00:31::2\",\"BackendType\":\"vxlan\","
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:06:02\"}}", r.toJson());
        assertNull(r.vtepMac());
        assertEquals(LeaseRecord.NO_IPV4, r.publicIp());
        assertEquals(r, LeaseRecord.parse(r.toJson()));
    }

    @Test
    void dualStackHostGwHasNoBackendData() {
        LeaseRecord r = LeaseRecord.hostGw(IP, IP6);
        assertEquals("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"fd00:31::2\",\"BackendType\":\"host-gw\"}", r.toJson());
        assertEquals(r, LeaseRecord.parse(r.toJson()));
    }

    @Test
    void anIpv4OnlyRecordEqualsOneReadWithoutOrWithNullIpv6Fields() {
        LeaseRecord r = LeaseRecord.vxlan(IP, 1, MAC);
        assertFalse(r.hasIpv6());
        assertEquals(r, LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:00:02\"}}"));
        assertEquals(r, LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:00:02\"},\"BackendV6Data\":null}"));
        assertEquals(LeaseRecord.vxlan(IP, MAC, null, null, 1), r, "the dual-stack factory with IPv6 off");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":5}              | lease PublicIPv6 is not a string",
            "{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"fd00::zz\"}   | lease PublicIPv6: not an IPv6 address",
            "{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"10.0.0.1\"}   | lease PublicIPv6: not an IPv6 address",
    })
    void aBadPublicIpv6IsNamed(String json, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LeaseRecord.parse(json));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void malformedV6DataGivesNoMacRatherThanAnError() {
        LeaseRecord r = LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":\"fd00::2\",\"BackendType\":\"vxlan\","
                + "\"BackendV6Data\":{\"VNI\":\"x\",\"VtepMAC\":\"nope\"}}");
        assertNull(r.vtepMacV6());
        assertEquals(-1, r.vniV6());
    }
}
