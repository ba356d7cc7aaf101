package io.weft.agent.backend.vxlan;

import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.MacAddress;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One family's side of the vxlan backend, as flannel keeps {@code dev} and {@code v6Dev} apart (vxlan.go
 * RegisterNetwork): its device ({@code flannel.N} or {@code flannel-v6.N}) with its own VtepMAC, the address peers
 * send to, and the underlay network that DirectRouting tests a peer against.
 */
final class Vtep {
    private static final Logger LOG = Logger.getLogger(Vtep.class.getName());

    final VxlanDevice device;
    final IpAddress publicIp;
    private final IpCidr ifaceNet;
    private final int mtu;
    private MacAddress preferredMac;
    private MacAddress mac;
    private boolean created; // prepare() made the device (it was not there)

    /**
     * @param local       the underlay address the device sends from
     * @param publicIp    the address peers send to, published in the lease (usually {@code local})
     * @param ifaceNet    the underlay network (for DirectRouting's same-segment test), or null
     * @param previousMac the VtepMAC this node published for this family before, or null
     */
    Vtep(VxlanDevice device, IpAddress publicIp, IpCidr ifaceNet, int mtu, MacAddress previousMac, long seed) {
        this.device = device;
        this.publicIp = publicIp;
        this.ifaceNet = ifaceNet;
        this.mtu = mtu;
        this.preferredMac = previousMac != null ? previousMac : MacAddress.localFromSeed(seed);
    }

    int mtu() {
        return mtu;
    }

    MacAddress mac() {
        return mac;
    }

    /** Creates or adopts the device; returns its MAC, the VtepMAC to publish. */
    MacAddress prepare() {
        created = device.current().isEmpty();
        mac = device.ensure(preferredMac);
        preferredMac = mac;
        return mac;
    }

    /**
     * The three entries flannel's handleSubnetEvents adds for a peer of this family: FDB (its VtepMAC to its public
     * address), a permanent neighbour (its subnet's first address to its VtepMAC), the onlink route; or, with
     * DirectRouting and the peer on our own segment, a plain route via its public address on the underlay.
     */
    void addPeer(IpCidr subnet, IpAddress peerIp, MacAddress peerMac, String directVia, Set<RouteEntry> routes,
                 Set<NeighEntry> neighs, Set<FdbEntry> fdb) {
        if (directVia != null && ifaceNet != null && ifaceNet.contains(peerIp)) {
            routes.add(RouteEntry.via(subnet, peerIp, directVia));
            return;
        }
        IpAddress vtepIp = subnet.network();
        routes.add(RouteEntry.onlink(subnet, vtepIp, device.name));
        neighs.add(new NeighEntry(vtepIp, peerMac, device.name));
        fdb.add(new FdbEntry(peerMac, device.name, peerIp));
    }

    /** Puts a deleted or changed device back, with its MAC and address; true if it acted. */
    boolean ensure(IpCidr localSubnet) {
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

    /** Removes the device if prepare() made it. */
    void abandon() {
        if (!created) return;
        created = false;
        if (device.current().isEmpty()) return; // the failed step took it with it
        LOG.info("removing " + device.name + ", which this failed start created");
        device.delete();
    }
}
