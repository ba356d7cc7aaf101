package io.weft.core.config;

/**
 * The {@code Backend} object of net-conf.json.
 *
 * @param type          "vxlan", "host-gw" or "wireguard"
 * @param vni           VXLAN network identifier (vxlan)
 * @param port          UDP port of the VTEP (vxlan); 8472 as the Linux default
 * @param directRouting route via the peer's public IP when it shares our L2 segment (vxlan)
 * @param mtu           the underlay MTU, as flannel's Backend.MTU means it (0: the interface's); the VXLAN device
 *                      and pods get {@link #overlayMtu} = this minus {@link #VXLAN_OVERHEAD} (the wireguard backend
 *                      takes flannel's 80 off instead)
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
    /** Outer Ethernet-less IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
    public static final int VXLAN_OVERHEAD = 50;

    /** A vxlan or host-gw backend (no WireGuard fields). */
    public BackendConf(String type, int vni, int port, boolean directRouting, int mtu, String datapath) {
        this(type, vni, port, directRouting, mtu, datapath, null);
    }

    public static BackendConf defaultVxlan() {
        return new BackendConf(VXLAN, 1, DEFAULT_PORT, false, 0, KERNEL);
    }

    /**
     * The MTU of the VXLAN device and of pods (FLANNEL_MTU): the underlay's ({@code Backend.MTU} when set, else the
     * interface's) minus the encapsulation, as flannel's vxlan backend (pkg/backend/vxlan RegisterNetwork and
     * newVXLANDevice) computes it.
     */
    public int overlayMtu(int interfaceMtu) {
        return (mtu > 0 ? mtu : interfaceMtu) - VXLAN_OVERHEAD;
    }

    public boolean isUserspace() {
        return (VXLAN.equals(type) || WIREGUARD.equals(type)) && USERSPACE.equals(datapath);
    }
}
