package io.weft.agent.backend.userspace;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.capture.CaptureSource;
import io.weft.agent.capture.FrameSink;
import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.metrics.MetricsWriter;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The VXLAN backend with weft's own datapath: the VTEP {@code flannel.<VNI>} is a TAP the agent holds, and
 * {@link VxlanDatapath} moves the packets. Kernel state is the same as the kernel backend's (device address,
 * {@code <subnet> via <subnet.network> dev flannel.<VNI> onlink}, permanent neighbours) except the FDB, which
 * lives in {@link PeerTable}: {@link #desired} returns no FDB entries and refreshes that table instead.
 *
 * <p>With IPv6 (a PublicIPv6 given) a second {@link UserspaceVtep}, {@code flannel-v6.<VNI>}, carries the IPv6 subnets
 * over the IPv6 underlay, as flannel's vxlan backend adds its {@code flannel-v6.<VNI>} device: its own TAP, VtepMAC
 * (published as BackendV6Data) and sockets; routes {@code <v6 subnet> via <its network> dev flannel-v6.<VNI> onlink}
 * and permanent neighbours from the leases' IPv6 side. With no PublicIP (IPv6-only) only that one runs.
 */
public final class UserspaceVxlanBackend implements Backend, CaptureSource, MetricsSource {
    /** Whether the userspace VXLAN datapath carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = true;
    private static final Logger LOG = Logger.getLogger(UserspaceVxlanBackend.class.getName());
    /** IPv6's fixed header is 20 bytes longer than IPv4's: the kernel's vxlan6 device is 70 below its underlay. */
    static final int IPV6_EXTRA_OVERHEAD = 20;

    private final BackendConf conf;
    private final String underlay;
    private final Ipv4Address publicIp;
    private final UserspaceVtep v4; // null on an IPv6-only node
    private final UserspaceVtep v6; // null without IPv6
    private Ipv4Cidr activeSubnet;
    private volatile Ipv6Cidr activeSubnetV6; // read by desired(), which the reconciler calls unsynchronized

    /**
     * @param conf        the Backend section of net-conf.json (VNI, Port, MTU; Datapath "userspace")
     * @param underlay    the underlay interface (for logs; the TAP is not bound to it)
     * @param publicIp    this node's PublicIP: published in the lease and used as the outer source address; null on
     *                    an IPv6-only node
     * @param underlayMtu MTU of the underlay interface; the TAP gets (conf.mtu() if set, else this) − 50 (− 70 over IPv6)
     * @param vtepMac     the VtepMAC to keep (from this node's previous lease), or null for one derived from publicIp
     * @param offload TAP offloads (TSO superframes and partial checksums in, coalesced superframes out)
     * @param gso     UDP GSO sends when the kernel has it and TAP offloads are on (segments to send exist only
     *                then); false sends each segment as its own datagram (sendmmsg), the path a kernel without UDP
     *                GSO takes (WEFT_USERSPACE_GSO=0 for weftd)
     * @param publicIpv6  this node's PublicIPv6 for the {@code flannel-v6.<VNI>} VTEP, or null without IPv6
     * @param vtepMacV6   the IPv6 VtepMAC to keep (previous lease's BackendV6Data), or null for a derived one
     */
    public UserspaceVxlanBackend(BackendConf conf, String underlay, Ipv4Address publicIp, int underlayMtu,
                                 MacAddress vtepMac, Netns ns, boolean offload, boolean gso, Ipv6Address publicIpv6,
                                 MacAddress vtepMacV6) {
        if (publicIp == null && publicIpv6 == null) throw new IllegalArgumentException("no PublicIP of either family");
        this.conf = conf;
        this.underlay = underlay;
        this.publicIp = publicIp;
        int mtu = conf.overlayMtu(underlayMtu);
        this.v4 = publicIp == null ? null : new UserspaceVtep(ns, "flannel." + conf.vni(), options(publicIp,
                vtepMac != null ? vtepMac : UserspaceVtep.derivedMac(conf.vni(), publicIp), mtu, offload, gso));
        this.v6 = publicIpv6 == null ? null : new UserspaceVtep(ns, "flannel-v6." + conf.vni(), options(publicIpv6,
                vtepMacV6 != null ? vtepMacV6 : UserspaceVtep.derivedMac(conf.vni(), publicIpv6),
                mtu - IPV6_EXTRA_OVERHEAD, offload, gso));
    }

    /** IPv4 only, as before IPv6. */
    public UserspaceVxlanBackend(BackendConf conf, String underlay, Ipv4Address publicIp, int underlayMtu,
                                 MacAddress vtepMac, Netns ns, boolean offload, boolean gso) {
        this(conf, underlay, publicIp, underlayMtu, vtepMac, ns, offload, gso, null, null);
    }

    private VxlanDatapath.Options options(io.weft.core.net.IpAddress local, MacAddress mac, int mtu, boolean offload,
                                          boolean gso) {
        return VxlanDatapath.Options.defaults(conf.vni(), conf.port(), local, mac, mtu).withOffload(offload, gso);
    }

    /**
     * What weftd's {@code Agent.BackendFactory} calls for {@code "Datapath": "userspace"}, for either or both families:
     * {@code publicIpv6} (null without IPv6) adds {@code flannel-v6.<VNI>}, with {@code previousMacV6} kept from this
     * node's last lease; {@code publicIp} null runs that one alone (IPv6-only). TAP offloads and UDP GSO follow
     * WEFT_USERSPACE_OFFLOAD and WEFT_USERSPACE_GSO.
     */
    public static UserspaceVxlanBackend create(Netns ns, BackendConf conf, io.weft.agent.underlay.Underlay underlay,
                                               Ipv4Address publicIp, MacAddress previousMac, Ipv6Address publicIpv6,
                                               MacAddress previousMacV6) {
        boolean offload = !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_OFFLOAD", "1"));
        boolean gso = !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_GSO", "1"));
        return new UserspaceVxlanBackend(conf, underlay.iface(), publicIp, underlay.mtu(), previousMac, ns, offload, gso,
                publicIpv6, previousMacV6);
    }

    /** The capture in progress on the running datapath, if any. */
    @Override
    public FrameSink sink() {
        VxlanDatapath d = datapath();
        return d == null ? null : d.sink();
    }

    @Override
    public void sink(FrameSink sink) {
        for (UserspaceVtep t : vteps()) {
            VxlanDatapath d = t.datapath();
            if (d != null) d.sink(sink);
        }
    }

    @Override
    public String type() {
        return BackendConf.VXLAN;
    }

    /** The first VTEP: flannel.<VNI>, or flannel-v6.<VNI> on an IPv6-only node. */
    private UserspaceVtep first() {
        return v4 != null ? v4 : v6;
    }

    private List<UserspaceVtep> vteps() {
        List<UserspaceVtep> l = new ArrayList<>(2);
        if (v4 != null) l.add(v4);
        if (v6 != null) l.add(v6);
        return l;
    }

    public String device() {
        return first().device();
    }

    public MacAddress vtepMac() {
        return first().mac();
    }

    public PeerTable peers() {
        return first().peers();
    }

    /** The running datapath (null before prepare()): counters, capture sink, features. */
    public VxlanDatapath datapath() {
        return first().datapath();
    }

    /** The {@code flannel-v6.<VNI>} VTEP, or null without IPv6. */
    public UserspaceVtep ipv6() {
        return v6;
    }

    @Override
    public synchronized LeaseRecord prepare() {
        for (UserspaceVtep t : vteps()) {
            if (t.running()) continue;
            t.checkNoKernelDevice();
            try {
                t.open();
            } catch (RuntimeException e) {
                for (UserspaceVtep o : vteps()) o.abandon(); // both or neither
                throw e;
            }
            LOG.info("userspace VXLAN backend: " + t.device() + " mac " + t.mac() + " on underlay " + underlay + " ("
                    + t.publicIp() + "), " + t.datapath().features());
        }
        return lease();
    }

    private LeaseRecord lease() {
        if (v6 == null) return LeaseRecord.vxlan(publicIp, conf.vni(), v4.mac());
        return LeaseRecord.vxlan(publicIp, v4 == null ? null : v4.mac(), (Ipv6Address) v6.publicIp(), v6.mac(), conf.vni());
    }

    @Override
    public synchronized void activate(Lease local) {
        activateIpv4(local.subnet());
        activateIpv6(local.ipv6Subnet());
    }

    /** Gives {@code flannel.<VNI>} its address for this node's IPv4 subnet. */
    private void activateIpv4(Ipv4Cidr localSubnet) {
        activeSubnet = localSubnet;
        if (v4 != null && localSubnet != null) v4.address(localSubnet);
    }

    /** Gives {@code flannel-v6.<VNI>} its address for this node's IPv6 subnet (the network address /128, as flannel). */
    private void activateIpv6(Ipv6Cidr localSubnet) {
        activeSubnetV6 = localSubnet;
        if (v6 != null && localSubnet != null) v6.address(localSubnet);
    }

    @Override
    public int mtu() {
        return first().mtu();
    }

    @Override
    public DesiredState desired(Lease local, List<Lease> remotes) {
        if (local.ipv6Subnet() != null) activeSubnetV6 = local.ipv6Subnet();
        Ipv4Cidr localSubnet = local.subnet();
        Set<RouteEntry> routes = new HashSet<>();
        Set<NeighEntry> neigh = new HashSet<>();
        List<PeerTable.Entry> fdb = new ArrayList<>();
        List<PeerTable.Entry> fdb6 = new ArrayList<>();
        for (Lease l : remotes) {
            LeaseRecord r = l.attrs();
            if (!BackendConf.VXLAN.equals(r.backendType())) continue;
            MacAddress mac = r.vtepMac();
            if (v4 != null && l.subnet() != null && mac != null && r.publicIp() != null
                    && !r.publicIp().equals(LeaseRecord.NO_IPV4) && !l.subnet().equals(localSubnet)) {
                routes.add(RouteEntry.onlink(l.subnet(), l.subnet().network(), v4.device()));
                neigh.add(new NeighEntry(l.subnet().network(), mac, v4.device()));
                fdb.add(new PeerTable.Entry(mac, r.publicIp()));
            }
            MacAddress mac6 = r.vtepMacV6();
            Ipv6Cidr s6 = l.ipv6Subnet();
            if (v6 != null && s6 != null && mac6 != null && r.publicIpv6() != null && !s6.equals(activeSubnetV6)) {
                routes.add(RouteEntry.onlink(s6, s6.network(), v6.device()));
                neigh.add(new NeighEntry(s6.network(), mac6, v6.device()));
                fdb6.add(new PeerTable.Entry(mac6, r.publicIpv6()));
            }
        }
        if (v4 != null && v4.peers().set(fdb)) LOG.info("userspace FDB of " + v4.device() + " now has " + fdb.size() + " peers");
        if (v6 != null && v6.peers().set(fdb6)) LOG.info("userspace FDB of " + v6.device() + " now has " + fdb6.size() + " peers");
        return new DesiredState(Set.copyOf(routes), Set.copyOf(neigh), Set.of());
    }

    @Override
    public Set<String> ownedDevices() {
        Set<String> s = new HashSet<>();
        for (UserspaceVtep t : vteps()) s.add(t.device());
        return Set.copyOf(s);
    }

    @Override
    public synchronized boolean ensureDevice(Lease local) {
        if (local.ipv6Subnet() != null) activeSubnetV6 = local.ipv6Subnet();
        Ipv4Cidr localSubnet = local.subnet();
        boolean acted = false;
        for (UserspaceVtep t : vteps()) {
            if (t.healthy()) continue;
            LOG.warning(t.device() + " is missing or changed; reopening it");
            t.close();
            t.open();
            if (t == v4) {
                Ipv4Cidr s = localSubnet != null ? localSubnet : activeSubnet;
                if (s != null) activateIpv4(s);
            } else if (activeSubnetV6 != null) {
                activateIpv6(activeSubnetV6);
            }
            acted = true;
        }
        return acted;
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        UserspaceMetrics.write(w, vteps());
    }

    /** Prometheus text for this datapath's counters alone. */
    public String renderPrometheus() {
        StringBuilder sb = new StringBuilder(1024);
        writeMetrics(new MetricsWriter(sb));
        return sb.toString();
    }

    /** Stops the datapaths; the TAPs stay (persistent), with their routes and neighbours, for the next run. */
    @Override
    public synchronized void close() {
        for (UserspaceVtep t : vteps()) t.close();
    }

    /** A failed start removes the TAPs it made. */
    @Override
    public synchronized void abandon() {
        for (UserspaceVtep t : vteps()) t.abandon();
    }
}
