package io.weft.core.config;

/**
 * The {@code Backend} object of net-conf.json.
 *
 * @param type          "vxlan", "host-gw" or "wireguard"
 * @param vni           VXLAN network identifier (vxlan)
 * @param port          UDP port of the VTEP (vxlan); 8472 as the Linux default
 * @param directRouting route via the peer's public IP when it shares our L2 segment (vxlan)
 * @param mtu           overlay device MTU; 0 = underlay MTU minus the encapsulation overhead
 * @param datapath      "kernel" (a Linux vxlan or wireguard device) or "userspace" (weft's own datapath)
 * @param wireguard     the wireguard backend's fields; null for the other types
 */
public record BackendConf(String type, int vni, int port, boolean directRouting, int mtu, String datapath,
                          WireGuardConf wireguard) {

    public static final String VXLAN = "vxlan";
    public static final String HOST_GW = "host-gw";
    public static final String WIREGUARD = "wireguard";
    public static final String KERNEL = "kernel";
    public static final String USERSPACE = "userspace";
    public static final int DEFAULT_PORT = 8472;

    /** A vxlan or host-gw backend (no WireGuard fields). */
    public BackendConf(String type, int vni, int port, boolean directRouting, int mtu, String datapath) {
        this(type, vni, port, directRouting, mtu, datapath, null);
    }

    public static BackendConf defaultVxlan() {
        return new BackendConf(VXLAN, 1, DEFAULT_PORT, false, 0, KERNEL);
    }

    public boolean isUserspace() {
        return (VXLAN.equals(type) || WIREGUARD.equals(type)) && USERSPACE.equals(datapath);
    }
}
