package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The wireguard Backend object, with flannel's defaults (pkg/backend/wireguard/wireguard.go, RegisterNetwork). */
class WireGuardConfTest {
    static final String PSK = "WCAtL5/w8/hTNMM8zGzYK6lL+LOt+VxPEIvZFyqy+1I=";

    static NetConf parse(String json) {
        return NetConfParser.parse(json.replace('\'', '"'));
    }

    static ConfigException refused(String json) {
        return assertThrows(ConfigException.class, () -> parse(json));
    }

    @Test
    void flannelDefaults() {
        BackendConf b = parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard'}}").backend();
        assertEquals("wireguard", b.type());
        assertEquals("kernel", b.datapath());
        assertEquals(0, b.mtu(), "0: the underlay's MTU, minus 80 on the device");
        WireGuardConf w = b.wireguard();
        assertNull(w.psk());
        assertEquals(51820, w.listenPort());
        assertEquals(51821, w.listenPortV6());
        assertEquals(0, w.persistentKeepalive());
        assertEquals("separate", w.mode());
        assertFalse(b.isUserspace());
    }

    @Test
    void everyFlannelFieldAndTheUserspaceDatapath() {
        BackendConf b = parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'WireGuard', 'PSK': '" + PSK + "',"
                + " 'ListenPort': 51900, 'ListenPortV6': 51901, 'MTU': 1400, 'PersistentKeepaliveInterval': 25,"
                + " 'Mode': 'auto', 'Datapath': 'userspace'}}").backend();
        assertEquals("wireguard", b.type());
        assertEquals(1400, b.mtu());
        assertTrue(b.isUserspace());
        assertEquals(new WireGuardConf(PSK, 51900, 51901, 25, "auto"), b.wireguard());
        assertEquals(51900, b.port());
        assertFalse(b.wireguard().toString().contains(PSK), "the PSK never reaches a log line");
    }

    @Test
    void anEmptyPskIsNoneAsInFlannel() {
        assertNull(parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'PSK': ''}}").backend().wireguard().psk());
    }

    @Test
    void aBadPskIsRefusedWithoutShowingIt() {
        String secretish = "not-a-key-but-maybe-a-password";
        ConfigException e = refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'PSK': '" + secretish + "'}}");
        assertEquals("Backend.PSK", e.field());
        assertFalse(e.getMessage().contains(secretish), e.getMessage());
    }

    @Test
    void outOfRangeAndUnknownFieldsNameTheField() {
        assertEquals("Backend.ListenPort",
                refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'ListenPort': 70000}}").field());
        assertEquals("Backend.PersistentKeepaliveInterval",
                refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'PersistentKeepaliveInterval': -1}}").field());
        assertEquals("Backend.Mode", refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'Mode': 'both'}}").field());
        assertEquals("Backend.Mode", refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'Mode': 'ipv6'}}").field());
        assertEquals("Backend.Datapath",
                refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'Datapath': 'ebpf'}}").field());
        ConfigException typo = refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'ListenPrt': 1}}");
        assertEquals("Backend.ListenPrt", typo.field());
        assertTrue(typo.getMessage().contains("did you mean \"ListenPort\""), typo.getMessage());
        assertEquals("Backend.VNI", refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'VNI': 1}}").field());
    }
}
