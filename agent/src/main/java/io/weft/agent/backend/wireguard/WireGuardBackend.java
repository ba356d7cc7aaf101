package io.weft.agent.backend.wireguard;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.backend.wireguard.crypto.X25519;
import io.weft.agent.capture.CaptureSource;
import io.weft.agent.capture.FrameSink;
import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.metrics.MetricsWriter;
import io.weft.agent.subnet.Lease;
import io.weft.agent.underlay.Underlay;
import io.weft.core.config.BackendConf;
import io.weft.core.config.NetConf;
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * flannel's {@code wireguard} backend (pkg/backend/wireguard): L3 WireGuard devices with MTU = underlay MTU − 80, the
 * private key in {@code /run/flannel/wgkey}, and leases {@code {"PublicKey","Port"}} in BackendData (IPv4) and
 * BackendV6Data (IPv6). Which devices, by Mode (flannel's RegisterNetwork): "separate" (the default) runs
 * {@code flannel-wg} on ListenPort for IPv4 and {@code flannel-wg-v6} on ListenPortV6 for IPv6, each only when its
 * family is on; "auto", "ipv4" and "ipv6" run {@code flannel-wg} alone for both families. Each device has the node's
 * subnet network address (/32, /128) and one route for the family's pod network. The peers follow the leases
 * ({@link WgPeerPlan}): a changed key replaces the peer, a peer that leaves is removed. The devices are the kernel's
 * (or wireguard-go's), or weft's own with {@code "Datapath": "userspace"}.
 */
public final class WireGuardBackend implements Backend, CaptureSource, MetricsSource {
    /** Whether the wireguard backend carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = true;
    private static final Logger LOG = Logger.getLogger(WireGuardBackend.class.getName());
    public static final String DEVICE = "flannel-wg";
    /** flannel's IPv6 device in separate mode. */
    public static final String DEVICE_V6 = "flannel-wg-v6";
    /** flannel's overhead (wireguard_network.go): IPv6 header 40 + UDP 8 + type/index/nonce 16 + tag 16. */
    public static final int OVERHEAD = 80;

    private final Netns ns;
    private final BackendConf conf;
    private final WireGuardConf wgConf;
    private final Ipv4Address publicIp;
    private final Ipv4Cidr network;
    private final Ipv6Address publicIpv6;
    private final Ipv6Cidr network6;
    private final int underlayMtu;
    private final Path keyFile;
    private final boolean offload;
    private final WgPeerPlan plan;
    private WgLink main; // flannel-wg: IPv4, or both families outside separate mode
    private WgLink v6; // flannel-wg-v6: IPv6 in separate mode
    private String publicKey;

    /** An IPv4-only node (the benchmark's). */
    public WireGuardBackend(Netns ns, BackendConf conf, Ipv4Address publicIp, Ipv4Cidr network, int underlayMtu, Path keyFile,
                            boolean offload) {
        this(ns, conf, publicIp, network, null, null, underlayMtu, keyFile, offload);
    }

    /**
     * @param publicIp   this node's PublicIP, null on an IPv6-only cluster
     * @param network    the cluster Network (routed through flannel-wg), null on an IPv6-only cluster
     * @param publicIpv6 this node's PublicIPv6, null without IPv6
     * @param network6   the IPv6Network, null without IPv6
     * @param keyFile    where the private key is kept ({@link KeyFile#location()})
     * @param offload    TUN offloads and UDP GSO for the userspace datapath (WEFT_USERSPACE_OFFLOAD=0 turns them off)
     */
    public WireGuardBackend(Netns ns, BackendConf conf, Ipv4Address publicIp, Ipv4Cidr network, Ipv6Address publicIpv6,
                            Ipv6Cidr network6, int underlayMtu, Path keyFile, boolean offload) {
        this.ns = ns;
        this.conf = conf;
        this.wgConf = conf.wireguard() != null ? conf.wireguard() : WireGuardConf.defaults();
        this.publicIp = publicIp;
        this.network = network;
        this.publicIpv6 = publicIpv6;
        this.network6 = network6;
        this.underlayMtu = underlayMtu;
        this.keyFile = keyFile;
        this.offload = offload;
        this.plan = new WgPeerPlan(wgConf, publicIp, publicIpv6);
    }

    /** What weftd's backend factory calls; {@code publicIp} null on an IPv6-only cluster, {@code publicIpv6} without IPv6. */
    public static WireGuardBackend create(Netns ns, BackendConf conf, Underlay u, Ipv4Address publicIp, Ipv6Address publicIpv6,
                                          NetConf net) {
        boolean offload = !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_OFFLOAD", "1"));
        return new WireGuardBackend(ns, conf, publicIp, publicIp == null ? null : net.network(), publicIpv6,
                publicIpv6 == null ? null : net.ipv6Network(), u.mtu(), KeyFile.location(), offload);
    }

    @Override
    public String type() {
        return BackendConf.WIREGUARD;
    }

    public String publicKey() {
        return publicKey;
    }

    /** flannel-wg-v6 in separate mode with IPv6; flannel-wg whenever IPv4 is on, and alone outside separate mode. */
    private boolean runsMain() {
        return !wgConf.separate() || publicIp != null;
    }

    private boolean runsV6() {
        return wgConf.separate() && publicIpv6 != null;
    }

    /** The port the device carrying IPv6 listens on: what BackendV6Data publishes. */
    private int portV6() {
        return wgConf.separate() ? wgConf.listenPortV6() : wgConf.listenPort();
    }

    @Override
    public synchronized LeaseRecord prepare() {
        if (main == null && v6 == null) {
            if (runsMain()) open(DEVICE, wgConf.listenPort());
            if (runsV6()) open(DEVICE_V6, wgConf.listenPortV6());
        }
        return LeaseRecord.wireguard(publicIp, publicIpv6, publicKey, wgConf.listenPort(), portV6());
    }

    private void open(String name, int port) {
        WgDevice d = conf.isUserspace() ? new UserspaceWgDevice(ns, name, port, mtu(), offload) : new KernelWgDevice(ns, name, port);
        WgLink link = new WgLink(ns, name, port, d, mtu());
        if (name.equals(DEVICE)) main = link; else v6 = link; // from here on abandon() can undo it
        link.open();
        byte[] privateKey = KeyFile.loadOrCreate(keyFile);
        try {
            publicKey = Base64.getEncoder().encodeToString(new X25519().publicKey(clamped(privateKey)));
            link.configure(privateKey, keyFile);
        } finally {
            Arrays.fill(privateKey, (byte) 0);
        }
        LOG.info("wireguard backend: " + name + " (" + d.describe() + "), mode " + wgConf.mode() + ", listen port " + port
                + ", MTU " + mtu() + ", public key " + publicKey + (wgConf.psk() != null ? ", with a PSK" : ""));
    }

    private static byte[] clamped(byte[] k) {
        byte[] c = k.clone();
        X25519.clamp(c);
        return c;
    }

    /** As flannel's Configure and ConfigureV6: each device its families' addresses and routes, and up. */
    @Override
    public synchronized void activate(Lease local) {
        List<WgLink.Family> onMain = new ArrayList<>(2);
        if (local.subnet() != null && network != null) onMain.add(new WgLink.Family(local.subnet().network(), network));
        WgLink.Family six = local.ipv6Subnet() != null && network6 != null
                ? new WgLink.Family(local.ipv6Subnet().network(), network6) : null;
        if (six != null && v6 == null) onMain.add(six);
        if (main != null) main.activate(onMain);
        if (v6 != null && six != null) v6.activate(List.of(six));
    }

    /** FLANNEL_MTU and the devices' MTU: the underlay's (or Backend.MTU) minus 80, as flannel's network.MTU(). */
    @Override
    public int mtu() {
        return (conf.mtu() > 0 ? conf.mtu() : underlayMtu) - OVERHEAD;
    }

    @Override
    public DesiredState desired(Lease local, List<Lease> remotes) {
        WgPeerPlan.Peers peers = plan.plan(remotes);
        WgLink m;
        WgLink s;
        synchronized (this) {
            m = main;
            s = v6;
        }
        if (m != null && m.device().setPeers(peers.main())) LOG.info(DEVICE + " now has " + peers.main().size() + " peers");
        if (s != null && s.device().setPeers(peers.v6())) LOG.info(DEVICE_V6 + " now has " + peers.v6().size() + " peers");
        return DesiredState.empty();
    }

    @Override
    public Set<String> ownedDevices() {
        Set<String> names = new LinkedHashSet<>();
        for (WgLink l : links()) names.add(l.name);
        return names.isEmpty() ? Set.of(runsMain() ? DEVICE : DEVICE_V6) : names;
    }

    private synchronized List<WgLink> links() {
        List<WgLink> all = new ArrayList<>(2);
        if (main != null) all.add(main);
        if (v6 != null) all.add(v6);
        return all;
    }

    /** Reopens a device that went away (and its addresses and routes), and puts back a deleted route. */
    @Override
    public synchronized boolean ensureDevice(Lease local) {
        boolean acted = false;
        for (WgLink l : links()) acted |= l.ensure(keyFile);
        return acted;
    }

    /**
     * The device as {@code weftd status} shows it.
     *
     * @param runsOn   what runs it ("kernel", "wireguard-go", "userspace (...)"), null before {@link #prepare()}
     * @param working  whether it is there and answers
     * @param peers    the peers it holds now
     * @param counters weft's own device's counters, per peer and the strangers' last; empty on the kernel's
     */
    public record View(String runsOn, boolean working, int listenPort, String publicKey, List<WgTool.PeerState> peers,
                       List<io.weft.agent.backend.wireguard.tunnel.WgCounters> counters) {}

    /** The first device ({@code flannel-wg}, or {@code flannel-wg-v6} alone), with the peers and counters of both. */
    public View view() {
        List<WgLink> all = links();
        if (all.isEmpty()) return new View(null, false, wgConf.listenPort(), publicKey, List.of(), List.of());
        WgLink first = all.getFirst();
        List<WgTool.PeerState> peers = new ArrayList<>();
        List<io.weft.agent.backend.wireguard.tunnel.WgCounters> counters = new ArrayList<>();
        boolean working = true;
        for (WgLink l : all) {
            peers.addAll(l.device().peers());
            counters.addAll(l.device().counters());
            working &= l.healthy();
        }
        return new View(first.device().describe(), working, first.listenPort, publicKey, peers, counters);
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        List<StringBuilder> parts = new ArrayList<>(2);
        for (WgLink l : links()) {
            StringBuilder one = new StringBuilder();
            l.device().writeMetrics(new MetricsWriter(one));
            parts.add(one);
        }
        w.merged(parts); // separate mode's two devices share the families
    }

    /** Only weft's own datapath can be captured from; the kernel's device answers 503 as a kernel VXLAN node does. */
    @Override
    public boolean capturable() {
        return conf.isUserspace() && !links().isEmpty();
    }

    /** The capture in progress on the userspace datapath, if any. */
    @Override
    public FrameSink sink() {
        for (WgLink l : links()) if (l.device() instanceof UserspaceWgDevice u) return u.captureSink();
        return null;
    }

    /**
     * Shows the userspace datapath's decrypted packets to {@code sink} (null stops): what {@code weftd capture} and
     * {@code /debug/capture} read. The kernel's device has no such hook: capture its traffic with tcpdump on flannel-wg.
     */
    @Override
    public void sink(FrameSink sink) {
        for (WgLink l : links()) if (l.device() instanceof UserspaceWgDevice u) u.captureSink(sink);
    }

    @Override
    public synchronized void close() {
        for (WgLink l : links()) l.close();
        main = v6 = null;
    }

    /** A failed start removes the devices it made (the kernel's, or wireguard-go's TUN, which ends wireguard-go). */
    @Override
    public synchronized void abandon() {
        for (WgLink l : links()) l.abandon();
        main = v6 = null;
    }
}
