package io.weft.agent.backend.vxlan;

import io.weft.agent.backend.BackendException;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.DeviceSysctl;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.Netns;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.MacAddress;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The kernel VTEP {@code flannel.<VNI>} (over an IPv4 underlay) or {@code flannel-v6.<VNI>} (over an IPv6 one):
 * created the way flannel creates it, or adopted untouched when a previous run (of weft or flannel) left a
 * compatible one, so that a restart never interrupts traffic.
 */
final class VxlanDevice {
    private static final Logger LOG = Logger.getLogger(VxlanDevice.class.getName());

    private final Netns ns;
    private final IpReader reader;
    final String name;
    private final int vni;
    private final int port;
    private final IpAddress local;
    private final String underlay;
    private final int mtu;

    VxlanDevice(Netns ns, int vni, int port, IpAddress local, String underlay, int mtu) {
        this.ns = ns;
        this.reader = new IpReader(ns);
        this.name = name(vni, local.bits() == 128);
        this.vni = vni;
        this.port = port;
        this.local = local;
        this.underlay = underlay;
        this.mtu = mtu;
    }

    /** flannel's names: {@code flannel.<VNI>}, and {@code flannel-v6.<VNI>} for the IPv6 device. */
    static String name(int vni, boolean v6) {
        return (v6 ? "flannel-v6." : "flannel.") + vni;
    }

    Optional<LinkInfo> current() {
        return reader.link(name);
    }

    /** Why an existing device cannot be adopted, or null when it can. */
    String incompatibility(LinkInfo l) {
        if (!"vxlan".equals(l.kind())) return "it is a " + l.kind() + " device, not vxlan";
        LinkInfo.Vxlan v = l.vxlan();
        if (v.vni() != vni) return "VNI " + v.vni() + " != " + vni;
        if (v.port() != port) return "port " + v.port() + " != " + port;
        if (!local.equals(v.local())) return "local " + v.local() + " != " + local;
        if (underlay != null && v.dev() != null && !underlay.equals(v.dev())) return "dev " + v.dev() + " != " + underlay;
        if (v.learning()) return "learning is on";
        return null;
    }

    /**
     * Makes sure the device exists, matches the config and is up; returns its MAC. {@code preferredMac} is
     * used when the device must be created (the MAC from this node's previous lease, so peers keep working).
     */
    MacAddress ensure(MacAddress preferredMac) {
        Optional<LinkInfo> existing = current();
        if (existing.isPresent()) {
            LinkInfo l = existing.get();
            String why = incompatibility(l);
            if (why == null) {
                IpBatch fix = new IpBatch();
                if (l.mtu() != mtu) fix.add(Link.mtu(name, mtu));
                if (!l.up()) fix.add(Link.up(name));
                if (!fix.isEmpty()) {
                    LOG.info("adjusting " + name + ": " + fix.ops());
                    fix.apply(ns);
                }
                refuseRouterAdvertisements();
                return l.mac();
            }
            LOG.warning("existing " + name + " is incompatible (" + why + "); recreating it");
            IpBatch.run(ns, Link.delete(name));
        }
        try {
            IpBatch.run(ns, Link.addVxlan(name, vni, port, local, underlay, preferredMac, mtu));
        } catch (IpException e) {
            if (e.stderr().contains("Unknown device type") || e.stderr().contains("not supported")) {
                throw new BackendException("cannot create " + name + ": the kernel has no vxlan support"
                        + " (load it with 'modprobe vxlan')", e);
            }
            throw new BackendException("cannot create " + name + ": " + e.stderr().strip(), e);
        }
        try {
            IpBatch.run(ns, Link.up(name));
        } catch (IpException e) {
            // Leave the node as it was: the half-made device goes again.
            IpBatch.run(ns, Link.delete(name));
            if (e.stderr().contains("Address already in use")) {
                throw new BackendException("UDP port " + port + " is already in use on this node"
                        + " (another VXLAN device or weft's userspace datapath holds it)", e);
            }
            throw new BackendException("cannot bring up " + name + ": " + e.stderr().strip(), e);
        }
        MacAddress mac = current().map(LinkInfo::mac)
                .orElseThrow(() -> new BackendException(name + " vanished right after it was created"));
        refuseRouterAdvertisements();
        LOG.info("created " + name + " (VNI " + vni + ", port " + port + ", local " + local + ", dev " + underlay
                + ", MTU " + mtu + ", MAC " + mac + ")");
        return mac;
    }

    /** accept_ra 0 on the device, as flannel sets it; a node with IPv6 off has no such setting and needs none. */
    private void refuseRouterAdvertisements() {
        if (!DeviceSysctl.refuseRouterAdvertisements(ns, name)) LOG.fine("accept_ra not set on " + name + " (IPv6 off on this node?)");
    }

    void delete() {
        IpBatch.run(ns, Link.delete(name));
    }

    /**
     * The device carries exactly {@code <subnet network>/32}, or {@code /128} for IPv6, as flannel sets it (vxlan.go
     * RegisterNetwork: a host address, so no broadcast or subnet route comes with it). The kernel's own link-local
     * IPv6 address stays.
     */
    void ensureAddress(IpCidr subnet) {
        IpAddress want = subnet.network();
        int prefix = want.bits();
        IpBatch batch = new IpBatch();
        boolean present = false;
        for (IfAddress a : prefix == 32 ? reader.addresses(name) : reader.globalAddresses6(name)) {
            if (a.address().equals(want) && a.prefix() == prefix) present = true;
            else batch.add(Addr.delete(name, a.address(), a.prefix()));
        }
        if (!present) batch.add(Addr.add(name, want, prefix));
        if (!batch.isEmpty()) {
            LOG.info("setting address " + want + "/" + prefix + " on " + name);
            batch.apply(ns);
        }
    }
}
