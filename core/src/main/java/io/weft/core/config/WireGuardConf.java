package io.weft.core.config;

/**
 * The WireGuard fields of net-conf.json's {@code Backend} object, as flannel's wireguard backend reads them
 * (pkg/backend/wireguard/wireguard.go, RegisterNetwork).
 *
 * @param psk                 the pre-shared key, base64 as {@code wg genpsk} writes it, or null for none; a secret:
 *                            {@link #toString()} never shows it
 * @param listenPort          UDP port of {@code flannel-wg} (51820)
 * @param listenPortV6        UDP port of {@code flannel-wg-v6} (51821; only with IPv6, which weft does not run yet)
 * @param persistentKeepalive seconds between keepalives to each peer, 0 = off
 * @param mode                "separate", "auto", "ipv4" or "ipv6"
 */
public record WireGuardConf(String psk, int listenPort, int listenPortV6, int persistentKeepalive, String mode) {
    public static final int DEFAULT_PORT = 51820;
    public static final int DEFAULT_PORT_V6 = 51821;
    public static final String SEPARATE = "separate";

    public static WireGuardConf defaults() {
        return new WireGuardConf(null, DEFAULT_PORT, DEFAULT_PORT_V6, 0, SEPARATE);
    }

    @Override
    public String toString() {
        return "WireGuardConf[psk=" + (psk == null ? "none" : "(set)") + ", listenPort=" + listenPort + ", listenPortV6="
                + listenPortV6 + ", persistentKeepalive=" + persistentKeepalive + ", mode=" + mode + "]";
    }
}
