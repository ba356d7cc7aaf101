package io.weft.agent.backend.vxlan;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * flannel's vxlan backend on the kernel's VXLAN devices: {@code flannel.N} for IPv4 and {@code flannel-v6.N} over
 * the IPv6 underlay for IPv6 (vxlan.go RegisterNetwork), either or both. For each peer and family: a route to its
 * subnet via its VTEP address on the device (onlink), a permanent neighbour entry giving that address the peer's
 * VtepMAC of that family (so the kernel never asks over the overlay), and an FDB entry sending that MAC to the
 * peer's public address of that family. With DirectRouting, peers on our own L2 segment get a plain route via their
 * public address instead.
 */
public final class VxlanBackend implements Backend {
    /** The kernel VXLAN backend carries IPv6 (EnableIPv6), on its second device flannel-v6.VNI. */
    public static final boolean CARRIES_IPV6 = true;
    /** An IPv6 header is 20 bytes longer than an IPv4 one: flannel-v6.N's MTU is the underlay's minus 70. */
    static final int IPV6_EXTRA_OVERHEAD = 20;
    private static final Logger LOG = Logger.getLogger(VxlanBackend.class.getName());

    /**
     * One family's underlay as the backend needs it.
     *
     * @param local       the underlay address the device sends from (the iface's address of that family)
     * @param publicIp    the address peers send to, published in the lease (usually {@code local})
     * @param ifaceNet    the underlay network of the iface (for DirectRouting's same-segment test), or null
     * @param previousMac the VtepMAC this node published for the family before (from its lease), or null
     */
    public record Side(IpAddress local, IpAddress publicIp, IpCidr ifaceNet, MacAddress previousMac) {}

    private final BackendConf conf;
    private final String iface;
    private final Vtep v4; // null on an IPv6-only cluster
    private final Vtep v6; // null without EnableIPv6
    private final int mtu;
    private final Set<String> warned = new HashSet<>();

    /** An IPv4-only backend. */
    public VxlanBackend(Netns ns, BackendConf conf, String iface, Ipv4Address local, Ipv4Address publicIp,
                        Ipv4Cidr ifaceNet, int ifaceMtu, MacAddress previousMac) {
        this(ns, conf, iface, ifaceMtu, new Side(local, publicIp, ifaceNet, previousMac), null);
    }

    /** A backend for the families whose side is given (at least one). */
    public VxlanBackend(Netns ns, BackendConf conf, String iface, int ifaceMtu, Side v4, Side v6) {
        if (v4 == null && v6 == null) throw new IllegalArgumentException("a vxlan backend needs IPv4 or IPv6");
        this.conf = conf;
        this.iface = iface;
        this.mtu = conf.overlayMtu(ifaceMtu);
        this.v4 = v4 == null ? null : vtep(ns, v4, mtu,
                ((long) ((Ipv4Address) v4.publicIp()).value() << 24) ^ conf.vni());
        this.v6 = v6 == null ? null : vtep(ns, v6, mtu - IPV6_EXTRA_OVERHEAD, seed((Ipv6Address) v6.publicIp()));
    }

    private Vtep vtep(Netns ns, Side s, int deviceMtu, long seed) {
        VxlanDevice device = new VxlanDevice(ns, conf.vni(), conf.port(), s.local(), iface, deviceMtu);
        return new Vtep(device, s.publicIp(), s.ifaceNet(), deviceMtu, s.previousMac(), seed);
    }

    /** A seed for the IPv6 device's MAC that differs from the IPv4 one's, stable for the same address and VNI. */
    private long seed(Ipv6Address a) {
        return (a.high() * 31 + a.low()) ^ ((long) conf.vni() << 40) ^ 0x6L;
    }

    /** The IPv4 device's name, or the IPv6 one's on an IPv6-only node. */
    public String deviceName() {
        return (v4 != null ? v4 : v6).device.name;
    }

    @Override
    public String type() {
        return BackendConf.VXLAN;
    }

    /** Creates or adopts each family's device; publishes each family's address and VtepMAC, as newSubnetAttrs does. */
    @Override
    public LeaseRecord prepare() {
        MacAddress mac4 = v4 == null ? null : v4.prepare();
        MacAddress mac6 = v6 == null ? null : v6.prepare();
        if (v6 == null) return LeaseRecord.vxlan((Ipv4Address) v4.publicIp, conf.vni(), mac4);
        return LeaseRecord.vxlan(v4 == null ? null : (Ipv4Address) v4.publicIp, mac4, (Ipv6Address) v6.publicIp, mac6,
                conf.vni());
    }

    @Override
    public void activate(Lease local) {
        if (v4 != null && local.subnet() != null) v4.device.ensureAddress(local.subnet());
        if (v6 != null && local.ipv6Subnet() != null) v6.device.ensureAddress(local.ipv6Subnet());
    }

    /** FLANNEL_MTU: the underlay's MTU minus 50, as flannel's vxlan MTU() for either family. */
    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public DesiredState desired(Lease local, List<Lease> remotes) {
        Set<RouteEntry> routes = new HashSet<>();
        Set<NeighEntry> neighs = new HashSet<>();
        Set<FdbEntry> fdb = new HashSet<>();
        String directVia = conf.directRouting() ? iface : null;
        for (Lease l : remotes) {
            LeaseRecord a = l.attrs();
            if (!BackendConf.VXLAN.equals(a.backendType())) {
                warnOnce(l, "backend type \"" + a.backendType() + "\" is not vxlan");
                continue;
            }
            if (v4 != null && l.subnet() != null && !LeaseRecord.NO_IPV4.equals(a.publicIp())
                    && !l.subnet().equals(local.subnet()) && !a.publicIp().equals(v4.publicIp)
                    && usable(l, a.vtepMac(), a.vni(), "")) {
                v4.addPeer(l.subnet(), a.publicIp(), a.vtepMac(), directVia, routes, neighs, fdb);
            }
            if (v6 != null && l.ipv6Subnet() != null && a.publicIpv6() != null
                    && !l.ipv6Subnet().equals(local.ipv6Subnet()) && !a.publicIpv6().equals(v6.publicIp)
                    && usable(l, a.vtepMacV6(), a.vniV6(), "V6")) {
                v6.addPeer(l.ipv6Subnet(), a.publicIpv6(), a.vtepMacV6(), directVia, routes, neighs, fdb);
            }
        }
        return new DesiredState(routes, neighs, fdb);
    }

    /** Whether a peer's backend data of one family ({@code v} "" or "V6") can be programmed; warns once if not. */
    private boolean usable(Lease l, MacAddress peerMac, int vni, String v) {
        if (peerMac == null) {
            warnOnce(l, "Backend" + v + "Data has no valid VtepMAC");
            return false;
        }
        if (vni >= 0 && vni != conf.vni()) {
            warnOnce(l, "Backend" + v + "Data's VNI " + vni + " differs from ours (" + conf.vni() + ")");
            return false;
        }
        return true;
    }

    private void warnOnce(Lease l, String why) {
        if (warned.add(l.key() + why)) LOG.warning("skipping lease " + l.describe() + " of " + l.attrs().publicIp() + ": " + why);
    }

    @Override
    public Set<String> ownedDevices() {
        Set<String> out = new LinkedHashSet<>();
        if (v4 != null) out.add(v4.device.name);
        if (v6 != null) out.add(v6.device.name);
        if (conf.directRouting()) out.add(iface);
        return out;
    }

    /** Both families' devices are checked and restored, each on its own. */
    @Override
    public boolean ensureDevice(Lease local) {
        boolean acted = v4 != null && local.subnet() != null && v4.ensure(local.subnet());
        if (v6 != null && local.ipv6Subnet() != null) acted |= v6.ensure(local.ipv6Subnet());
        return acted;
    }

    @Override
    public void abandon() {
        if (v4 != null) v4.abandon();
        if (v6 != null) v6.abandon();
    }

    @Override
    public void close() {
        // The devices, routes, neighbours and FDB entries stay: pods keep talking while the agent is away.
    }
}
