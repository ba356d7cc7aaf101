package io.weft.core.iproute;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;

/**
 * What {@code ip -j -d link show} says of one device, reduced to what weft checks.
 *
 * @param kind   "vxlan", "bridge", "veth", "tun", ... or null for a plain device
 * @param master the bridge it is enslaved to, or null
 * @param vxlan  the VXLAN attributes when kind is vxlan, else null
 */
public record LinkInfo(int index, String name, String kind, int mtu, MacAddress mac, boolean up, String master,
                       Vxlan vxlan) {

    /**
     * @param local the underlay address it sends from (IPv4, or IPv6 for a device over an IPv6 underlay), or null
     * @param dev   the underlay device name, or null when the device is not bound to one
     */
    public record Vxlan(int vni, int port, IpAddress local, String dev, boolean learning) {}
}
