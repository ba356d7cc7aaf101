package io.weft.core.config;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and checks the {@code "Type": "wireguard"} Backend object: flannel's fields, with flannel's defaults
 * (pkg/backend/wireguard/wireguard.go RegisterNetwork), plus weft's Datapath. As for the other backends, a field
 * neither reads is named in a warning; a wrong type or an out-of-range value is refused with the field's name, and
 * the PSK, a secret, is never shown.
 */
final class WireGuardFields {
    private static final List<String> FIELDS = List.of(
            "Type", "PSK", "ListenPort", "ListenPortV6", "MTU", "PersistentKeepaliveInterval", "Mode", "Datapath");
    private static final Set<String> MODES = Set.of("separate", "auto", "ipv4", "ipv6");
    /** flannel's overhead (wireguard_network.go): IPv6 header 40 + UDP 8 + type/index/nonce 16 + tag 16. */
    static final int OVERHEAD = 80;

    private WireGuardFields() {}

    static BackendConf parse(NetConfParser.Fields f) {
        f.noteIgnoredAndRepeated(FIELDS, Map.of());
        String psk = f.text("PSK");
        if (psk != null && psk.isEmpty()) psk = null; // flannel: an empty PSK means none
        if (psk != null && !isKey(psk)) {
            throw new ConfigException("Backend.PSK", "is not a WireGuard key (44 characters of base64 for 32 bytes, as `wg genpsk` writes)");
        }
        WireGuardConf d = WireGuardConf.defaults();
        int port = port(f, "ListenPort", d.listenPort());
        int port6 = port(f, "ListenPortV6", d.listenPortV6());
        Integer keepaliveGiven = f.integer("PersistentKeepaliveInterval");
        int keepalive = keepaliveGiven == null ? 0 : keepaliveGiven;
        if (keepalive < 0 || keepalive > 65535) {
            throw new ConfigException("Backend.PersistentKeepaliveInterval", keepalive + " is outside 0..65535 seconds");
        }
        String modeGiven = f.text("Mode");
        String mode = modeGiven == null ? WireGuardConf.SEPARATE : modeGiven;
        if (!MODES.contains(mode)) {
            throw new ConfigException("Backend.Mode", "\"" + mode + "\" is not one of \"separate\", \"auto\", \"ipv4\", \"ipv6\"");
        }
        Integer mtuGiven = f.integer("MTU");
        int mtu = mtuGiven == null ? 0 : mtuGiven;
        int minMtu = NetConfParser.MIN_OVERLAY_MTU + OVERHEAD;
        if (mtu != 0 && (mtu < minMtu || mtu > 65535)) {
            throw new ConfigException("Backend.MTU", mtu + " is outside " + minMtu + "..65535: it is the underlay's MTU, as in"
                    + " flannel, and flannel-wg gets " + OVERHEAD + " less; leave it out to use the interface's");
        }
        String dp = f.text("Datapath");
        String datapath = dp == null ? BackendConf.KERNEL : dp;
        if (!datapath.equals(BackendConf.KERNEL) && !datapath.equals(BackendConf.USERSPACE)) {
            throw new ConfigException("Backend.Datapath", "\"" + datapath + "\" is not one of \"kernel\", \"userspace\"");
        }
        return new BackendConf(BackendConf.WIREGUARD, 0, port, false, mtu, datapath,
                new WireGuardConf(psk, port, port6, keepalive, mode));
    }

    /**
     * What the Mode and ports ask of the address families, checked once both are known. flannel starts with these and
     * then sends to an address its peers do not have ("ipv4" on an IPv6-only cluster dials 0.0.0.0, "ipv6" without
     * IPv6 has no PublicIPv6 to dial) or fails to bind the second device; weft refuses them with the field named.
     */
    static void checkFamilies(BackendConf backend, boolean enableIPv4, boolean enableIPv6) {
        WireGuardConf w = backend.wireguard();
        if (w == null) return;
        if (WireGuardConf.IPV6.equals(w.mode()) && !enableIPv6) {
            throw new ConfigException("Backend.Mode", "\"ipv6\" reaches peers at their PublicIPv6, which needs"
                    + " EnableIPv6: true; use \"separate\", \"auto\" or \"ipv4\" on an IPv4-only cluster");
        }
        if (WireGuardConf.IPV4.equals(w.mode()) && !enableIPv4) {
            throw new ConfigException("Backend.Mode", "\"ipv4\" reaches peers at their PublicIP, which an IPv6-only"
                    + " cluster (EnableIPv4: false) does not have; use \"ipv6\", \"auto\" or \"separate\"");
        }
        if (w.separate() && enableIPv4 && enableIPv6 && w.listenPort() == w.listenPortV6()) {
            throw new ConfigException("Backend.ListenPortV6", w.listenPortV6() + " is ListenPort too: in separate mode"
                    + " flannel-wg and flannel-wg-v6 each need their own UDP port (51820 and 51821 by default)");
        }
    }

    private static int port(NetConfParser.Fields f, String field, int dflt) {
        Integer p = f.integer(field);
        if (p == null) return dflt;
        if (p < 1 || p > 65535) throw new ConfigException("Backend." + field, p + " is outside 1..65535");
        return p;
    }

    /** Whether {@code s} is a WireGuard key: base64 (standard alphabet, padded) of exactly 32 bytes. */
    static boolean isKey(String s) {
        if (s.length() != 44 || s.charAt(43) != '=') return false;
        try {
            return Base64.getDecoder().decode(s).length == 32;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
