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
        return NetConfParser.parse(json.replace('\'', '"'), w -> { });
    }

    static java.util.List<String> warnings(String json) {
        java.util.List<String> w = new java.util.ArrayList<>();
        NetConfParser.parse(json.replace('\'', '"'), w::add);
        return w;
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
                + " 'ListenPort': 51900, 'ListenPortV6': 51901, 'MTU': 1480, 'PersistentKeepaliveInterval': 25,"
                + " 'Mode': 'auto', 'Datapath': 'userspace'}}").backend();
        assertEquals("wireguard", b.type());
        assertEquals(1480, b.mtu());
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
        assertEquals("Backend.Mode", refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'Mode': 'ipv6'}}").field(),
                "ipv6 without EnableIPv6: no peer has a PublicIPv6 to reach");
        assertEquals("Backend.Datapath",
                refused("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'Datapath': 'ebpf'}}").field());
    }

    /** As flanneld (Go's encoding/json): keys in any case; a field neither reads is named in a warning. */
    @Test
    void keysInAnyCaseAndUnknownFieldsWarned() {
        BackendConf b = parse("{'Network': '10.244.0.0/16', 'Backend': {'type': 'wireguard', 'listenport': 51900, 'psk': '"
                + PSK + "'}}").backend();
        assertEquals(51900, b.wireguard().listenPort());
        assertEquals(PSK, b.wireguard().psk());
        java.util.List<String> w = warnings("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'wireguard', 'ListenPrt': 1, 'VNI': 1}}");
        assertTrue(w.stream().anyMatch(l -> l.startsWith("Backend.ListenPrt is ignored") && l.contains("did you mean \"ListenPort\"")), w.toString());
        assertTrue(w.stream().anyMatch(l -> l.startsWith("Backend.VNI is ignored")), w.toString());
    }

    static final String DUAL = "'Network': '10.244.0.0/16', 'EnableIPv6': true, 'IPv6Network': 'fd00:10:244::/56'";
    static final String V6ONLY = "'EnableIPv4': false, 'EnableIPv6': true, 'IPv6Network': 'fd00:10:244::/56'";

    /** flannel's four Modes (wireguard.go: Separate, Auto, Ipv4, Ipv6) where the families they need are on. */
    @Test
    void everyModeWhereItsFamiliesAreOn() {
        for (String mode : new String[] {"separate", "auto", "ipv4", "ipv6"}) {
            WireGuardConf w = parse("{" + DUAL + ", 'Backend': {'Type': 'wireguard', 'Mode': '" + mode + "'}}").backend().wireguard();
            assertEquals(mode, w.mode());
            assertEquals("separate".equals(mode), w.separate());
        }
        assertEquals("ipv6", parse("{" + V6ONLY + ", 'Backend': {'Type': 'wireguard', 'Mode': 'ipv6'}}").backend().wireguard().mode());
        assertEquals("auto", parse("{" + V6ONLY + ", 'Backend': {'Type': 'wireguard', 'Mode': 'auto'}}").backend().wireguard().mode());
    }

    @Test
    void aModeOrPortTheFamiliesCannotUseIsRefusedWithTheFieldNamed() {
        ConfigException v4 = refused("{" + V6ONLY + ", 'Backend': {'Type': 'wireguard', 'Mode': 'ipv4'}}");
        assertEquals("Backend.Mode", v4.field());
        assertTrue(v4.getMessage().contains("IPv6-only"), v4.getMessage());
        ConfigException ports = refused("{" + DUAL + ", 'Backend': {'Type': 'wireguard', 'ListenPort': 51830, 'ListenPortV6': 51830}}");
        assertEquals("Backend.ListenPortV6", ports.field());
        assertEquals("Backend.ListenPortV6",
                refused("{" + DUAL + ", 'Backend': {'Type': 'wireguard', 'ListenPortV6': 0}}").field());
        // one device in auto mode: ListenPortV6 is not used, so it may equal ListenPort
        assertEquals(51830, parse("{" + DUAL + ", 'Backend': {'Type': 'wireguard', 'Mode': 'auto', 'ListenPort': 51830,"
                + " 'ListenPortV6': 51830}}").backend().wireguard().listenPortV6());
    }
}
