package io.weft.core.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.Set;

/** Reads and checks the {@code "Type": "wireguard"} Backend object (flannel's fields, plus weft's Datapath). */
final class WireGuardFields {
    private static final Set<String> MODES = Set.of("separate", "auto", "ipv4", "ipv6");

    private WireGuardFields() {}

    static BackendConf parse(ObjectNode b) {
        WireGuardConf d = WireGuardConf.defaults();
        String psk = null;
        if (b.has("PSK") && !b.get("PSK").isNull()) {
            psk = NetConfParser.text(b, "Backend.PSK");
            if (psk.isEmpty()) {
                psk = null; // flannel: an empty PSK means none
            } else if (!isKey(psk)) {
                // never echo the value: it is a secret
                throw new ConfigException("Backend.PSK", "is not a WireGuard key (44 characters of base64 for 32 bytes, as `wg genpsk` writes)");
            }
        }
        int port = port(b, "ListenPort", d.listenPort());
        int port6 = port(b, "ListenPortV6", d.listenPortV6());
        int keepalive = b.has("PersistentKeepaliveInterval") ? NetConfParser.integer(b, "Backend.PersistentKeepaliveInterval") : 0;
        if (keepalive < 0 || keepalive > 65535) {
            throw new ConfigException("Backend.PersistentKeepaliveInterval", keepalive + " is outside 0..65535 seconds");
        }
        String mode = b.has("Mode") ? NetConfParser.text(b, "Backend.Mode") : WireGuardConf.SEPARATE;
        if (!MODES.contains(mode)) {
            throw new ConfigException("Backend.Mode", "\"" + mode + "\" is not one of \"separate\", \"auto\", \"ipv4\", \"ipv6\"");
        }
        if (mode.equals("ipv6")) throw new ConfigException("Backend.Mode", "\"ipv6\" needs IPv6, which weft does not run yet");
        int mtu = b.has("MTU") ? NetConfParser.integer(b, "Backend.MTU") : 0;
        if (mtu != 0 && (mtu < 576 || mtu > 65535)) throw new ConfigException("Backend.MTU", mtu + " is outside 576..65535");
        String datapath = b.has("Datapath") ? NetConfParser.text(b, "Backend.Datapath") : BackendConf.KERNEL;
        if (!datapath.equals(BackendConf.KERNEL) && !datapath.equals(BackendConf.USERSPACE)) {
            throw new ConfigException("Backend.Datapath", "\"" + datapath + "\" is not one of \"kernel\", \"userspace\"");
        }
        return new BackendConf(BackendConf.WIREGUARD, 0, port, false, mtu, datapath,
                new WireGuardConf(psk, port, port6, keepalive, mode));
    }

    private static int port(ObjectNode b, String field, int dflt) {
        if (!b.has(field)) return dflt;
        int p = NetConfParser.integer(b, "Backend." + field);
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
