package io.weft.agent.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeAnnotationsTest {
    final NodeAnnotations keys = new NodeAnnotations("flannel.alpha.coreos.com");

    @Test
    void hostGwPublishesNullBackendDataAsFlannelDoes() {
        Map<String, String> a = keys.encode(LeaseRecord.hostGw(Ipv4Address.parse("10.0.0.5")));
        assertEquals("null", a.get("flannel.alpha.coreos.com/backend-data"));
        assertEquals("host-gw", a.get("flannel.alpha.coreos.com/backend-type"));
        LeaseRecord back = keys.decode(a);
        assertEquals("host-gw", back.backendType());
        assertEquals(Ipv4Address.parse("10.0.0.5"), back.publicIp());
    }

    static final String P = "flannel.alpha.coreos.com/";

    /** flannel's AcquireLease (pkg/subnet/kube/kube.go): host-gw writes backend-v6-data "null" and public-ipv6. */
    @Test
    void dualStackHostGwPublishesBothFamiliesAsFlannelDoes() {
        LeaseRecord r = LeaseRecord.hostGw(Ipv4Address.parse("10.0.0.5"), io.weft.core.net.Ipv6Address.parse("fd00::5"));
        Map<String, String> a = keys.encode(r);
        assertEquals(Map.of(P + "backend-data", "null", P + "public-ip", "10.0.0.5", P + "backend-type", "host-gw",
                P + "kube-subnet-manager", "true", P + "backend-v6-data", "null", P + "public-ipv6", "fd00::5"), a);
        assertEquals(r, keys.decode(a, true));
        assertEquals(LeaseRecord.hostGw(Ipv4Address.parse("10.0.0.5")), keys.decode(a, false), "IPv6 off: read as flannel does");
    }

    /** An IPv6-only vxlan lease has no BackendData: flannel's AcquireLease then writes neither backend-data nor public-ip. */
    @Test
    void vxlanWithoutAnIpv4SideWritesOnlyTheIpv6Annotations() {
        LeaseRecord r = LeaseRecord.vxlan(null, null, io.weft.core.net.Ipv6Address.parse("fd00::5"), MacAddress.parse("02:42:ac:11:06:02"), 1);
        Map<String, String> a = keys.encode(r);
        assertEquals(Map.of(P + "backend-type", "vxlan", P + "kube-subnet-manager", "true",
                P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"02:42:ac:11:06:02\"}", P + "public-ipv6", "fd00::5"), a);
    }

    @Test
    void aDualStackVxlanPeersIpv6SideIsCheckedAndNamed() {
        LeaseRecord r = LeaseRecord.vxlan(Ipv4Address.parse("10.0.0.5"), MacAddress.parse("02:42:ac:11:00:02"),
                io.weft.core.net.Ipv6Address.parse("fd00::5"), MacAddress.parse("02:42:ac:11:06:02"), 1);
        Map<String, String> a = new HashMap<>(keys.encode(r));
        assertEquals(r, keys.decode(a, true));
        a.put(P + "public-ipv6", "fd00::zz");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys.decode(a, true));
        assertTrue(e.getMessage().startsWith(P + "public-ipv6: "), e.getMessage());
        a.put(P + "public-ipv6", "fd00::5");
        a.put(P + "backend-v6-data", "{\"VNI\":1}");
        e = assertThrows(IllegalArgumentException.class, () -> keys.decode(a, true));
        assertTrue(e.getMessage().startsWith(P + "backend-v6-data: VtepMAC missing"), e.getMessage());
    }

    @Test
    void vxlanRoundTrips() {
        LeaseRecord r = LeaseRecord.vxlan(Ipv4Address.parse("10.0.0.5"), 4096, MacAddress.parse("02:42:ac:11:00:02"));
        assertEquals(r, keys.decode(keys.encode(r)));
    }

    @Test
    void eachMalformedAnnotationIsNamed() {
        Map<String, String> a = new HashMap<>(keys.encode(LeaseRecord.vxlan(Ipv4Address.parse("10.0.0.5"), 1, MacAddress.parse("02:42:ac:11:00:02"))));
        a.put("flannel.alpha.coreos.com/public-ip", "10.0.0.300");
        assertMessage(a, "flannel.alpha.coreos.com/public-ip: ");
        a.put("flannel.alpha.coreos.com/public-ip", "10.0.0.5");
        a.put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,");
        assertMessage(a, "flannel.alpha.coreos.com/backend-data: not valid JSON");
        a.put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1}");
        assertMessage(a, "flannel.alpha.coreos.com/backend-data: VtepMAC missing");
        a.put("flannel.alpha.coreos.com/backend-data", "{\"VtepMAC\":\"02:42:ac:11:00:02\"}");
        assertMessage(a, "flannel.alpha.coreos.com/backend-data: VNI missing");
        a.remove("flannel.alpha.coreos.com/backend-type");
        assertMessage(a, "flannel.alpha.coreos.com/backend-type: missing");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} -> {1}")
    @org.junit.jupiter.params.provider.CsvSource({
            "flannel.alpha.coreos.com,  flannel.alpha.coreos.com/backend-type",
            "example.com/,              example.com/backend-type",
            "example.com/net,           example.com/net-backend-type",
            "example.com/net-,          example.com/net-backend-type",
            // Go's regexp.MatchString is not anchored at the start: "oo.example.com/" matches
            "Foo.example.com,           Foo.example.com/backend-type",
    })
    void aPrefixIsCompletedAsFlannelCompletesIt(String prefix, String backendType) {
        // flannel pkg/subnet/kube/annotations.go newAnnotations
        assertEquals(backendType, new NodeAnnotations(prefix).backendType());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"a/b/c", "nodots", "example.com/Net", "example.com/n.t", ""})
    void aPrefixFlannelRefusesIsRefused(String prefix) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NodeAnnotations(prefix));
        assertTrue(e.getMessage().startsWith("--kube-annotation-prefix: '" + prefix + "'"), e.getMessage());
    }

    private void assertMessage(Map<String, String> a, String start) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys.decode(a));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
}
