package io.weft.agent.backend.vxlan;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * flannel's vxlan backend on the kernel's VXLAN device. For each peer: a route to its subnet via its VTEP
 * address on flannel.N (onlink), a permanent neighbour entry giving that address the peer's VtepMAC (so the
 * kernel never ARPs over the overlay), and an FDB entry sending that MAC to the peer's public IP. With
 * DirectRouting, peers on our own L2 segment get a plain route via their public IP instead.
 */
public final class VxlanBackend implements Backend {
    /** Whether the kernel VXLAN backend (a flannel-v6.<VNI> device) carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = false;
    private static final Logger LOG = Logger.getLogger(VxlanBackend.class.getName());

    private final BackendConf conf;
    private final String iface;
    private final Ipv4Address publicIp;
    private final Ipv4Cidr ifaceNet;
    private final VxlanDevice device;
    private final int mtu;
    private MacAddress preferredMac;
    private MacAddress mac;
    private boolean created; // prepare() made the device (it was not there)
    private final Set<String> warned = new HashSet<>();

    /**
     * @param local        the underlay address the device sends from (the iface's address)
     * @param publicIp     the address peers send to, published in the lease (usually {@code local})
     * @param ifaceNet     the underlay network of {@code iface} (for DirectRouting's same-segment test), or null
     * @param previousMac  the VtepMAC this node published before (from its lease), or null
     */
    public VxlanBackend(Netns ns, BackendConf conf, String iface, Ipv4Address local, Ipv4Address publicIp,
                        Ipv4Cidr ifaceNet, int ifaceMtu, MacAddress previousMac) {
        this.conf = conf;
        this.iface = iface;
        this.publicIp = publicIp;
        this.ifaceNet = ifaceNet;
        this.mtu = conf.overlayMtu(ifaceMtu);
        this.device = new VxlanDevice(ns, conf.vni(), conf.port(), local, iface, mtu);
        this.preferredMac = previousMac != null ? previousMac
                : MacAddress.localFromSeed(((long) publicIp.value() << 24) ^ conf.vni());
    }

    public String deviceName() {
        return device.name;
    }

    @Override
    public String type() {
        return BackendConf.VXLAN;
    }

    @Override
    public LeaseRecord prepare() {
        created = device.current().isEmpty();
        mac = device.ensure(preferredMac);
        preferredMac = mac;
        return LeaseRecord.vxlan(publicIp, conf.vni(), mac);
    }

    @Override
    public void activate(Ipv4Cidr localSubnet) {
        device.ensureAddress(localSubnet);
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public DesiredState desired(Ipv4Cidr localSubnet, List<Lease> remotes) {
        Set<RouteEntry> routes = new HashSet<>();
        Set<NeighEntry> neighs = new HashSet<>();
        Set<FdbEntry> fdb = new HashSet<>();
        for (Lease l : remotes) {
            LeaseRecord a = l.attrs();
            if (l.subnet().equals(localSubnet) || a.publicIp().equals(publicIp)) continue;
            if (!BackendConf.VXLAN.equals(a.backendType())) {
                warnOnce(l, "backend type \"" + a.backendType() + "\" is not vxlan");
                continue;
            }
            MacAddress peerMac = a.vtepMac();
            if (peerMac == null) {
                warnOnce(l, "BackendData has no valid VtepMAC");
                continue;
            }
            if (a.vni() >= 0 && a.vni() != conf.vni()) {
                warnOnce(l, "VNI " + a.vni() + " differs from ours (" + conf.vni() + ")");
                continue;
            }
            if (conf.directRouting() && ifaceNet != null && ifaceNet.contains(a.publicIp())) {
                routes.add(RouteEntry.via(l.subnet(), a.publicIp(), iface));
                continue;
            }
            Ipv4Address vtepIp = l.subnet().network();
            routes.add(RouteEntry.onlink(l.subnet(), vtepIp, device.name));
            neighs.add(new NeighEntry(vtepIp, peerMac, device.name));
            fdb.add(new FdbEntry(peerMac, device.name, a.publicIp()));
        }
        return new DesiredState(routes, neighs, fdb);
    }

    private void warnOnce(Lease l, String why) {
        if (warned.add(l.subnet() + why)) LOG.warning("skipping lease " + l.subnet() + " of " + l.attrs().publicIp() + ": " + why);
    }

    @Override
    public Set<String> ownedDevices() {
        return conf.directRouting() ? Set.of(device.name, iface) : Set.of(device.name);
    }

    @Override
    public boolean ensureDevice(Ipv4Cidr localSubnet) {
        Optional<LinkInfo> l = device.current();
        if (l.isPresent() && device.incompatibility(l.get()) == null && l.get().up() && l.get().mtu() == mtu
                && mac.equals(l.get().mac())) {
            return false;
        }
        LOG.warning(device.name + (l.isEmpty() ? " was deleted" : " was changed") + "; restoring it");
        if (l.isPresent() && !mac.equals(l.get().mac())) {
            device.delete(); // a changed MAC would strand every peer's FDB entry for us
        }
        device.ensure(mac);
        device.ensureAddress(localSubnet);
        return true;
    }

    @Override
    public void abandon() {
        if (!created) return;
        created = false;
        if (device.current().isEmpty()) return; // the failed step took it with it
        LOG.info("removing " + device.name + ", which this failed start created");
        device.delete();
    }

    @Override
    public void close() {
        // The device, routes, neighbours and FDB stay: pods keep talking while the agent is away.
    }
}
