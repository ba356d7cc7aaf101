package io.weft.agent.backend.userspace;

import io.weft.agent.backend.BackendException;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.DeviceSysctl;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.Netns;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;
import io.weft.core.tap.TapDevice;
import java.io.IOException;
import java.net.BindException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * One userspace VTEP of one address family: the TAP named as flannel's device ({@code flannel.<VNI>} over the IPv4
 * underlay, {@code flannel-v6.<VNI>} over the IPv6 one), its VtepMAC and MTU, the {@link VxlanDatapath} that moves its
 * packets (sockets of the PublicIP's family on the VXLAN port) and the {@link PeerTable} it sends by. A dual-stack node
 * runs two, side by side, as flannel's kernel backend runs two devices; neither does any work for the other's packets.
 *
 * <p>The TAP is persistent once its datapath runs: when the agent exits, the device stays with its address, routes and
 * permanent neighbours (carrier off, so the kernel drops what it would send there, as it drops it with no route),
 * and the next run attaches to it and carries traffic at once, with nothing for the kernel to relearn and no pod
 * traffic sent out of the default route meanwhile. A start that fails removes a TAP it made ({@link #abandon()}).
 */
public final class UserspaceVtep implements AutoCloseable {
    static final int TX_QUEUE_LEN = 8192;
    private static final Logger LOG = Logger.getLogger(UserspaceVtep.class.getName());

    private final Netns ns;
    private final String device;
    private final VxlanDatapath.Options options;
    private final PeerTable peers;
    private TapDevice tap;
    private volatile VxlanDatapath datapath;
    private boolean created; // the last open() made the device (abandon() removes it)

    /**
     * @param device   the TAP's name
     * @param options  VNI, port, PublicIP (its family is the underlay's), VtepMAC, MTU, offloads
     */
    public UserspaceVtep(Netns ns, String device, VxlanDatapath.Options options) {
        this.ns = ns;
        this.device = device;
        this.options = options;
        this.peers = new PeerTable(options.port());
    }

    /** The VtepMAC flannel's vxlan backend would not have to keep: derived from the VNI and the PublicIP. */
    public static MacAddress derivedMac(int vni, IpAddress publicIp) {
        if (publicIp instanceof Ipv4Address a) return MacAddress.localFromSeed(((long) vni << 32) | a.unsigned());
        Ipv6Address a = (Ipv6Address) publicIp;
        return MacAddress.localFromSeed(((long) vni << 32) ^ a.high() * 31 ^ a.low() ^ (0x6L << 60));
    }

    public String device() {
        return device;
    }

    public MacAddress mac() {
        return options.localMac();
    }

    public int mtu() {
        return options.mtu();
    }

    public IpAddress publicIp() {
        return options.local();
    }

    public PeerTable peers() {
        return peers;
    }

    /** The running datapath, or null while closed. */
    public VxlanDatapath datapath() {
        return datapath;
    }

    /** Whether the VTEP is open. */
    public boolean running() {
        return datapath != null;
    }

    /**
     * Refuses to start where a device of the name is present and is no TAP: a kernel VXLAN device would hold the
     * VXLAN port for this family.
     */
    public void checkNoKernelDevice() {
        Optional<LinkInfo> existing = new IpReader(ns).link(device);
        if (existing.isPresent() && !"tun".equals(existing.get().kind())) {
            throw new BackendException("device " + device + " exists and is a " + existing.get().kind()
                    + " device, not weft's TAP: UDP port " + options.port() + " is probably in use by it"
                    + " (is a kernel " + device + " device present? delete it to switch to the userspace datapath)");
        }
    }

    /**
     * Opens the TAP (attaching to the one an earlier run left), configures what differs (MAC, MTU, queue, up), starts
     * the datapath and makes the TAP persistent. Until then the device goes with a failure's closed descriptor.
     */
    public synchronized void open() {
        LinkInfo before = new IpReader(ns).link(device).filter(l -> "tun".equals(l.kind())).orElse(null);
        try {
            tap = TapDevice.open(device);
        } catch (IOException e) {
            throw new BackendException("cannot open TAP " + device + ": " + e.getMessage(), e);
        }
        created = before == null;
        try {
            IpBatch b = new IpBatch();
            // Setting even the same MAC makes the kernel flush the device's neighbours, permanent ones too
            // (NETDEV_CHANGEADDR): an adopted TAP keeps its own.
            if (before == null || !mac().equals(before.mac())) b.add(Link.address(device, mac()));
            if (before == null || before.mtu() != mtu()) b.add(Link.mtu(device, mtu()));
            // A deeper TAP queue than the default 1000 absorbs bursts while the reader is busy (or still JIT-cold).
            b.add(IpOp.ip("link", "set", "dev", device, "txqueuelen", Integer.toString(TX_QUEUE_LEN)));
            // flannel-v6 gets no link-local address, as the kernel's flannel-v6 device (addrgenmode none): the VTEP
            // talks only to its peers' VTEPs, whose neighbours are permanent.
            if (before == null && publicIp() instanceof Ipv6Address) b.add(IpOp.ip("link", "set", "dev", device, "addrgenmode", "none"));
            if (before == null || !before.up()) b.add(Link.up(device));
            // Before it is up: a router advertisement a pod sends across the overlay gives the node nothing, as on
            // flannel's kernel devices (their accept_ra is 0).
            if (!DeviceSysctl.refuseRouterAdvertisements(ns, device)) LOG.fine("accept_ra not set on " + device + " (IPv6 off on this node?)");
            b.apply(ns);
        } catch (IpException e) {
            tap.close();
            throw new BackendException("cannot configure TAP " + device + ": " + e.getMessage(), e);
        }
        VxlanDatapath dp = new VxlanDatapath(tap, options, peers);
        try {
            dp.start();
        } catch (BindException e) {
            tap.close();
            throw new BackendException("UDP port " + options.port() + " is in use (is a kernel " + device
                    + " device present?)", e);
        } catch (IOException e) {
            tap.close();
            throw new BackendException("cannot start the userspace datapath: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            tap.close();
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while starting the userspace datapath", e);
        }
        datapath = dp;
        int err = tap.persist(true);
        if (err != 0) LOG.warning("cannot make TAP " + device
                + " persistent (errno " + err + "): it goes with the agent, and a restart makes it again");
    }

    /** Gives the device the first address of this node's subnet, alone: /32 or /128, as flannel's devices have. */
    public void address(IpCidr localSubnet) {
        IpAddress net = localSubnet.network();
        IpBatch.run(ns, Addr.replace(device, net, net.bits()));
    }

    /** Whether the device is present, up, with our MAC and a running datapath. */
    public boolean healthy() {
        Optional<LinkInfo> link = new IpReader(ns).link(device);
        return link.isPresent() && mac().equals(link.get().mac()) && link.get().up() && datapath != null;
    }

    /** Stops the datapath and lets go of the TAP, which stays (persistent) for the next run. */
    @Override
    public synchronized void close() {
        if (datapath != null) datapath.close();
        datapath = null;
        if (tap != null) tap.close();
        tap = null;
    }

    /** After a failed start: closes, and removes the TAP if this start made it (one an earlier run left stays). */
    public synchronized void abandon() {
        close();
        if (!created) return;
        created = false;
        if (new IpReader(ns).link(device).isPresent()) IpBatch.run(ns, Link.delete(device));
    }
}
