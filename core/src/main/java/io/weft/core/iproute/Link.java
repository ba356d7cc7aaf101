package io.weft.core.iproute;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.List;

/** Builders for {@code ip link} changes. */
public final class Link {
    private Link() {}

    /**
     * A VXLAN device the way flannel makes it: nolearning, an explicit local address and underlay device. An IPv6
     * {@code local} makes it a device over an IPv6 underlay (flannel-v6.N).
     */
    public static IpOp addVxlan(String name, int vni, int port, IpAddress local, String dev, MacAddress mac, int mtu) {
        List<String> a = new ArrayList<>(List.of("link", "add", name));
        if (mac != null) {
            a.add("address");
            a.add(mac.toString());
        }
        if (mtu > 0) {
            a.add("mtu");
            a.add(Integer.toString(mtu));
        }
        a.addAll(List.of("type", "vxlan", "id", Integer.toString(vni), "local", local.toString()));
        if (dev != null) {
            a.add("dev");
            a.add(dev);
        }
        a.addAll(List.of("dstport", Integer.toString(port), "nolearning"));
        return new IpOp(IpOp.IP, a);
    }

    public static IpOp addBridge(String name) {
        return IpOp.ip("link", "add", name, "type", "bridge");
    }

    public static IpOp addVeth(String name, String peer) {
        return IpOp.ip("link", "add", name, "type", "veth", "peer", "name", peer);
    }

    /** A kernel WireGuard device (needs the wireguard module). */
    public static IpOp addWireguard(String name) {
        return IpOp.ip("link", "add", name, "type", "wireguard");
    }

    public static IpOp addDummy(String name) {
        return IpOp.ip("link", "add", name, "type", "dummy");
    }

    public static IpOp up(String name) {
        return IpOp.ip("link", "set", "dev", name, "up");
    }

    public static IpOp down(String name) {
        return IpOp.ip("link", "set", "dev", name, "down");
    }

    public static IpOp mtu(String name, int mtu) {
        return IpOp.ip("link", "set", "dev", name, "mtu", Integer.toString(mtu));
    }

    public static IpOp address(String name, MacAddress mac) {
        return IpOp.ip("link", "set", "dev", name, "address", mac.toString());
    }

    public static IpOp master(String name, String bridge) {
        return IpOp.ip("link", "set", "dev", name, "master", bridge);
    }

    public static IpOp rename(String name, String newName) {
        return IpOp.ip("link", "set", "dev", name, "name", newName);
    }

    /** Moves a device into another namespace (named, or a namespace file such as /proc/PID/ns/net). */
    public static IpOp moveTo(String name, Netns target) {
        return IpOp.ip("link", "set", "dev", name, "netns", target.linkTarget());
    }

    public static IpOp delete(String name) {
        return IpOp.ip("link", "del", "dev", name);
    }

    public static IpOp hairpin(String port, boolean on) {
        return IpOp.bridge("link", "set", "dev", port, "hairpin", on ? "on" : "off");
    }
}
