package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
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

    /** @param dev the underlay device name, or null when the device is not bound to one */
    public record Vxlan(int vni, int port, Ipv4Address local, String dev, boolean learning) {}
}
