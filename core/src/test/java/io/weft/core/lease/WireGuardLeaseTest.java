package io.weft.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import org.junit.jupiter.api.Test;

/** The wireguard lease record in flannel's JSON (pkg/backend/wireguard/wireguard_network.go, wireguardLeaseAttrs). */
class WireGuardLeaseTest {
    static final String KEY = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

    @Test
    void writesFlannelsJson() {
        LeaseRecord r = LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.1"), KEY, 51820);
        // json.Marshal of flannel's LeaseAttrs (pkg/lease/lease.go): PublicIPv6 is a pointer without omitempty
        assertEquals("{\"PublicIP\":\"172.31.0.1\",\"PublicIPv6\":null,\"BackendType\":\"wireguard\",\"BackendData\":{\"PublicKey\":\"" + KEY
                + "\",\"Port\":51820}}", r.toJson());
    }

    @Test
    void readsFlannelsJsonWithAndWithoutPort() {
        LeaseRecord r = LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"wireguard\",\"BackendData\":{\"PublicKey\":\""
                + KEY + "\",\"Port\":51900}}");
        assertEquals(KEY, r.publicKey());
        assertEquals(51900, r.wireguardPort());
        LeaseRecord old = LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"wireguard\",\"BackendData\":{\"PublicKey\":\""
                + KEY + "\"}}");
        assertEquals(0, old.wireguardPort(), "flannel before it published ports: use our own ListenPort");
        assertNull(LeaseRecord.vxlan(Ipv4Address.parse("172.31.0.2"), 1, io.weft.core.net.MacAddress.parse("0a:00:00:00:00:01")).publicKey());
    }

    /**
     * flannel's wireguard newSubnetAttrs (wireguard.go): BackendData with IPv4, BackendV6Data with IPv6, the same key in
     * both; the port is that of the device carrying the family (ListenPortV6's flannel-wg-v6 in separate mode).
     */
    @Test
    void dualStackSeparateMode() {
        LeaseRecord r = LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.1"), Ipv6Address.parse("fd00:31::1"), KEY, 51820, 51821);
        assertEquals("{\"PublicIP\":\"172.31.0.1\",\"PublicIPv6\":\"fd00:31::1\",\"BackendType\":\"wireguard\","
                + "\"BackendData\":{\"PublicKey\":\"" + KEY + "\",\"Port\":51820},"
                + "\"BackendV6Data\":{\"PublicKey\":\"" + KEY + "\",\"Port\":51821}}", r.toJson());
        LeaseRecord back = LeaseRecord.parse(r.toJson());
        assertEquals(r, back);
        assertEquals(KEY, back.publicKeyV6());
        assertEquals(51821, back.wireguardPortV6());
        assertEquals(51820, back.wireguardPort());
    }

    @Test
    void ipv6OnlyHasNoBackendDataAndTheZeroPublicIp() {
        LeaseRecord r = LeaseRecord.wireguard(null, Ipv6Address.parse("fd00:31::1"), KEY, 51820, 51820);
        assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00:31::1\",\"BackendType\":\"wireguard\","
                + "\"BackendV6Data\":{\"PublicKey\":\"" + KEY + "\",\"Port\":51820}}", r.toJson());
        assertNull(r.publicKey());
        assertEquals(0, r.wireguardPort());
        assertEquals(r, LeaseRecord.parse(r.toJson()));
    }

    @Test
    void ipv4OnlyIsTheOldRecord() {
        assertEquals(LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.1"), KEY, 51820).toJson(),
                LeaseRecord.wireguard(Ipv4Address.parse("172.31.0.1"), null, KEY, 51820, 51821).toJson());
    }
}
