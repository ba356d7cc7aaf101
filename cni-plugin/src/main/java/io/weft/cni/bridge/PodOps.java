package io.weft.cni.bridge;

import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;

/**
 * The kernel changes of one pod attachment, as iproute2 batch lines, so that the host side and the pod side
 * each cost a single {@code ip -batch} process (a fork is most of what an ADD costs).
 */
public final class PodOps {
    private PodOps() {}

    /** The bridge the way weft makes it: a fixed MAC so it never changes as ports come and go. */
    public static IpOp addBridge(String name, MacAddress mac, int mtu) {
        return IpOp.ip("link", "add", name, "address", mac.toString(), "mtu", Integer.toString(mtu), "type", "bridge");
    }

    /**
     * A veth pair whose peer is created directly inside the pod's namespace under its final name: no temporary
     * name, no rename, no second move; "File exists" if the pod already has an interface of that name.
     */
    public static IpOp addVethIntoPod(String hostName, MacAddress hostMac, String podIfname, MacAddress podMac, int mtu, Netns pod) {
        String m = Integer.toString(mtu);
        return IpOp.ip("link", "add", hostName, "address", hostMac.toString(), "mtu", m, "type", "veth",
                "peer", "name", podIfname, "address", podMac.toString(), "mtu", m, "netns", pod.linkTarget());
    }

    /** Hairpin through ip rather than bridge(8), so it rides in the same batch as the rest of the host side. */
    public static IpOp hairpin(String port, boolean on) {
        return IpOp.ip("link", "set", "dev", port, "type", "bridge_slave", "hairpin", on ? "on" : "off");
    }

    public static IpOp routeVia(Ipv4Cidr dst, Ipv4Address gw, String dev) {
        return IpOp.ip("route", "add", dst.prefix() == 0 ? "default" : dst.toString(), "via", gw.toString(), "dev", dev);
    }
}
