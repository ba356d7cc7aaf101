package io.weft.agent.backend.userspace;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.capture.CaptureSource;
import io.weft.agent.capture.FrameSink;
import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.metrics.MetricsWriter;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.core.tap.TapDevice;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The VXLAN backend with weft's own datapath: the VTEP {@code flannel.<VNI>} is a TAP the agent holds, and
 * {@link VxlanDatapath} moves the packets. Kernel state is the same as the kernel backend's (device address,
 * {@code <subnet> via <subnet.network> dev flannel.<VNI> onlink}, permanent neighbours) except the FDB, which
 * lives in {@link PeerTable}: {@link #desired} returns no FDB entries and refreshes that table instead.
 *
 * <p>The TAP is not persistent, so when the agent exits the device and its routes go with it, and the next
 * run recreates them (nothing stale stays behind to blackhole traffic with no reader).
 */
public final class UserspaceVxlanBackend implements Backend, CaptureSource, MetricsSource {
    /** Whether the userspace VXLAN datapath carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = false;
    private static final Logger LOG = Logger.getLogger(UserspaceVxlanBackend.class.getName());
    static final int TX_QUEUE_LEN = 8192;

    private final BackendConf conf;
    private final String underlay;
    private final Ipv4Address publicIp;
    private final int underlayMtu;
    private final MacAddress vtepMac;
    private final Netns ns;
    private final String device;
    private final PeerTable peers;
    private final boolean offload;
    private final boolean gso;
    private TapDevice tap;
    private volatile VxlanDatapath datapath;
    private Ipv4Cidr activeSubnet;

    /**
     * @param conf        the Backend section of net-conf.json (VNI, Port, MTU; Datapath "userspace")
     * @param underlay    the underlay interface (for logs; the TAP is not bound to it)
     * @param publicIp    this node's PublicIP: published in the lease and used as the outer source address
     * @param underlayMtu MTU of the underlay interface; the TAP gets (conf.mtu() if set, else this) − 50
     * @param vtepMac     the VtepMAC to keep (from this node's previous lease), or null for one derived from publicIp
     * @param offload TAP offloads (TSO superframes and partial checksums in, coalesced superframes out)
     * @param gso     UDP GSO sends when the kernel has it and TAP offloads are on (segments to send exist only
     *                then); false sends each segment as its own datagram (sendmmsg), the path a kernel without UDP
     *                GSO takes (WEFT_USERSPACE_GSO=0 for weftd)
     */
    public UserspaceVxlanBackend(BackendConf conf, String underlay, Ipv4Address publicIp, int underlayMtu,
                                 MacAddress vtepMac, Netns ns, boolean offload, boolean gso) {
        this.conf = conf;
        this.underlay = underlay;
        this.publicIp = publicIp;
        this.underlayMtu = underlayMtu;
        this.vtepMac = vtepMac != null ? vtepMac : MacAddress.localFromSeed(((long) conf.vni() << 32) | publicIp.unsigned());
        this.ns = ns;
        this.device = "flannel." + conf.vni();
        this.peers = new PeerTable(conf.port());
        this.offload = offload;
        this.gso = gso;
    }

    /**
     * What weftd's {@code Agent.BackendFactory} calls for {@code "Datapath": "userspace"}. TAP offloads and UDP GSO
     * follow WEFT_USERSPACE_OFFLOAD and WEFT_USERSPACE_GSO.
     */
    public static UserspaceVxlanBackend create(Netns ns, BackendConf conf, io.weft.agent.underlay.Underlay underlay,
                                               Ipv4Address publicIp, MacAddress previousMac) {
        boolean offload = !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_OFFLOAD", "1"));
        return create(ns, conf, underlay, publicIp, previousMac, offload,
                !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_GSO", "1")));
    }

    /** As above, with TAP offloads and UDP GSO explicitly on or off (GSO off: the sendmmsg path of kernels without it). */
    public static UserspaceVxlanBackend create(Netns ns, BackendConf conf, io.weft.agent.underlay.Underlay underlay,
                                               Ipv4Address publicIp, MacAddress previousMac, boolean offload,
                                               boolean gso) {
        return new UserspaceVxlanBackend(conf, underlay.iface(), publicIp, underlay.mtu(), previousMac, ns, offload, gso);
    }

    /** The capture in progress on the running datapath, if any. */
    @Override
    public FrameSink sink() {
        VxlanDatapath d = datapath;
        return d == null ? null : d.sink();
    }

    @Override
    public void sink(FrameSink sink) {
        VxlanDatapath d = datapath;
        if (d != null) d.sink(sink);
    }

    @Override
    public String type() {
        return BackendConf.VXLAN;
    }

    public String device() {
        return device;
    }

    public MacAddress vtepMac() {
        return vtepMac;
    }

    public PeerTable peers() {
        return peers;
    }

    /** The running datapath (null before prepare()): counters, capture sink, features. */
    public VxlanDatapath datapath() {
        return datapath;
    }

    @Override
    public synchronized LeaseRecord prepare() {
        if (datapath != null) return LeaseRecord.vxlan(publicIp, conf.vni(), vtepMac);
        IpReader reader = new IpReader(ns);
        Optional<io.weft.core.iproute.LinkInfo> existing = reader.link(device);
        if (existing.isPresent() && !"tun".equals(existing.get().kind())) {
            throw new BackendException("device " + device + " exists and is a " + existing.get().kind()
                    + " device, not weft's TAP: UDP port " + conf.port() + " is probably in use by it"
                    + " (is a kernel " + device + " device present? delete it to switch to the userspace datapath)");
        }
        openDevice();
        LOG.info("userspace VXLAN backend: " + device + " mac " + vtepMac + " on underlay " + underlay + " (" + publicIp
                + "), " + datapath.features());
        return LeaseRecord.vxlan(publicIp, conf.vni(), vtepMac);
    }

    private void openDevice() {
        try {
            tap = TapDevice.open(device);
        } catch (IOException e) {
            throw new BackendException("cannot open TAP " + device + ": " + e.getMessage(), e);
        }
        try {
            // A deeper TAP queue than the default 1000 absorbs bursts while the reader is busy (or still JIT-cold).
            new IpBatch().add(Link.address(device, vtepMac)).add(Link.mtu(device, mtu()))
                    .add(IpOp.ip("link", "set", "dev", device, "txqueuelen", Integer.toString(TX_QUEUE_LEN)))
                    .add(Link.up(device)).apply(ns);
        } catch (IpException e) {
            tap.close();
            throw new BackendException("cannot configure TAP " + device + ": " + e.getMessage(), e);
        }
        VxlanDatapath dp = new VxlanDatapath(tap,
                VxlanDatapath.Options.defaults(conf.vni(), conf.port(), publicIp, vtepMac, mtu()).withOffload(offload, gso),
                peers);
        try {
            dp.start();
        } catch (BindException e) {
            tap.close();
            throw new BackendException("UDP port " + conf.port() + " is in use (is a kernel " + device
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
    }

    @Override
    public synchronized void activate(Ipv4Cidr localSubnet) {
        activeSubnet = localSubnet;
        IpBatch.run(ns, Addr.replace(device, localSubnet.network(), 32));
    }

    @Override
    public int mtu() {
        return conf.overlayMtu(underlayMtu);
    }

    @Override
    public DesiredState desired(Ipv4Cidr localSubnet, List<Lease> remotes) {
        Set<RouteEntry> routes = new HashSet<>();
        Set<NeighEntry> neigh = new HashSet<>();
        List<PeerTable.Entry> fdb = new ArrayList<>();
        for (Lease l : remotes) {
            LeaseRecord r = l.attrs();
            if (!BackendConf.VXLAN.equals(r.backendType())) continue;
            MacAddress mac = r.vtepMac();
            if (mac == null || r.publicIp() == null || l.subnet().equals(localSubnet)) continue;
            routes.add(RouteEntry.onlink(l.subnet(), l.subnet().network(), device));
            neigh.add(new NeighEntry(l.subnet().network(), mac, device));
            fdb.add(new PeerTable.Entry(mac, r.publicIp()));
        }
        if (peers.set(fdb)) LOG.info("userspace FDB now has " + fdb.size() + " peers");
        return new DesiredState(Set.copyOf(routes), Set.copyOf(neigh), Set.of());
    }

    @Override
    public Set<String> ownedDevices() {
        return Set.of(device);
    }

    @Override
    public synchronized boolean ensureDevice(Ipv4Cidr localSubnet) {
        Optional<io.weft.core.iproute.LinkInfo> link = new IpReader(ns).link(device);
        boolean ok = link.isPresent() && vtepMac.equals(link.get().mac()) && link.get().up() && datapath != null;
        if (ok) return false;
        LOG.warning(device + " is missing or changed; reopening it");
        closeDatapath();
        openDevice();
        Ipv4Cidr s = localSubnet != null ? localSubnet : activeSubnet;
        if (s != null) activate(s);
        return true;
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        UserspaceMetrics.write(w, device, peers, datapath);
    }

    /** Prometheus text for this datapath's counters alone. */
    public String renderPrometheus() {
        StringBuilder sb = new StringBuilder(1024);
        writeMetrics(new MetricsWriter(sb));
        return sb.toString();
    }

    private void closeDatapath() {
        if (datapath != null) datapath.close();
        datapath = null;
        if (tap != null) tap.close();
        tap = null;
    }

    /** Stops the datapath; the TAP (not persistent) disappears with its descriptor. */
    @Override
    public synchronized void close() {
        closeDatapath();
    }
}
