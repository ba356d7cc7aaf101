package io.weft.core.config;

/**
 * The WireGuard fields of net-conf.json's {@code Backend} object, as flannel's wireguard backend reads them
 * (pkg/backend/wireguard/wireguard.go, RegisterNetwork).
 *
 * @param psk                 the pre-shared key, base64 as {@code wg genpsk} writes it, or null for none; a secret:
 *                            {@link #toString()} never shows it
 * @param listenPort          UDP port of {@code flannel-wg} (51820)
 * @param listenPortV6        UDP port of {@code flannel-wg-v6} (51821), the IPv6 device of separate mode
 * @param persistentKeepalive seconds between keepalives to each peer, 0 = off
 * @param mode                "separate" (flannel's default: {@code flannel-wg} carries IPv4, {@code flannel-wg-v6}
 *                            IPv6), or one device {@code flannel-wg} for both families whose peers are reached at
 *                            their PublicIP ("ipv4"), their PublicIPv6 ("ipv6") or whichever flannel's
 *                            selectPublicEndpoint picks ("auto")
 */
public record WireGuardConf(String psk, int listenPort, int listenPortV6, int persistentKeepalive, String mode) {
    public static final int DEFAULT_PORT = 51820;
    public static final int DEFAULT_PORT_V6 = 51821;
    public static final String SEPARATE = "separate";
    public static final String AUTO = "auto";
    public static final String IPV4 = "ipv4";
    public static final String IPV6 = "ipv6";

    public static WireGuardConf defaults() {
        return new WireGuardConf(null, DEFAULT_PORT, DEFAULT_PORT_V6, 0, SEPARATE);
    }

    /** Whether IPv6 has its own device, {@code flannel-wg-v6} on {@link #listenPortV6()}. */
    public boolean separate() {
        return SEPARATE.equals(mode);
    }

    @Override
    public String toString() {
        return "WireGuardConf[psk=" + (psk == null ? "none" : "(set)") + ", listenPort=" + listenPort + ", listenPortV6="
                + listenPortV6 + ", persistentKeepalive=" + persistentKeepalive + ", mode=" + mode + "]";
    }
}
