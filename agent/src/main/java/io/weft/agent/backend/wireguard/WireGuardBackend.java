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
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * flannel's {@code wireguard} backend (pkg/backend/wireguard): the L3 device {@code flannel-wg} with address
 * {@code <subnet network>/32} and one route for the whole Network through it, MTU = underlay MTU − 80, the
 * private key in {@code /run/flannel/wgkey}, and leases {@code {"PublicKey","Port"}}; every other node with a
 * wireguard lease is a peer whose allowed IPs are its subnet and whose endpoint is its PublicIP and Port (our own
 * ListenPort when its lease has none, as flannel before it published ports). The peers follow the leases: a changed
 * key replaces the peer, a peer that leaves is removed. The device is the kernel's (or wireguard-go's), or weft's own
 * with {@code "Datapath": "userspace"}.
 */
public final class WireGuardBackend implements Backend, CaptureSource, MetricsSource {
    /** Whether the wireguard backend carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = false;
    private static final Logger LOG = Logger.getLogger(WireGuardBackend.class.getName());
    public static final String DEVICE = "flannel-wg";
    /** flannel's overhead (wireguard_network.go): IPv6 header 40 + UDP 8 + type/index/nonce 16 + tag 16. */
    public static final int OVERHEAD = 80;

    private final Netns ns;
    private final BackendConf conf;
    private final WireGuardConf wgConf;
    private final Ipv4Address publicIp;
    private final Ipv4Cidr network;
    private final int underlayMtu;
    private final Path keyFile;
    private final byte[] presharedKey;
    private final boolean offload;
    private WgDevice device;
    private boolean created; // prepare() made the device (it was not there)
    private String publicKey;
    private Ipv4Cidr activeSubnet;
    private final Set<String> warned = new HashSet<>();

    /**
     * @param network the cluster Network (the one route through flannel-wg)
     * @param keyFile where the private key is kept ({@link KeyFile#location()})
     * @param offload TUN offloads and UDP GSO for the userspace datapath (WEFT_USERSPACE_OFFLOAD=0 turns them off)
     */
    public WireGuardBackend(Netns ns, BackendConf conf, Ipv4Address publicIp, Ipv4Cidr network, int underlayMtu, Path keyFile,
                            boolean offload) {
        this.ns = ns;
        this.conf = conf;
        this.wgConf = conf.wireguard() != null ? conf.wireguard() : WireGuardConf.defaults();
        this.publicIp = publicIp;
        this.network = network;
        this.underlayMtu = underlayMtu;
        this.keyFile = keyFile;
        this.presharedKey = wgConf.psk() == null ? null : Base64.getDecoder().decode(wgConf.psk());
        this.offload = offload;
    }

    /** What weftd's backend factory calls. */
    public static WireGuardBackend create(Netns ns, BackendConf conf, Underlay u, Ipv4Address publicIp, Ipv4Cidr network) {
        boolean offload = !"0".equals(System.getenv().getOrDefault("WEFT_USERSPACE_OFFLOAD", "1"));
        return new WireGuardBackend(ns, conf, publicIp, network, u.mtu(), KeyFile.location(), offload);
    }

    @Override
    public String type() {
        return BackendConf.WIREGUARD;
    }

    public String publicKey() {
        return publicKey;
    }

    @Override
    public synchronized LeaseRecord prepare() {
        if (device == null) {
            WgDevice d = conf.isUserspace()
                    ? new UserspaceWgDevice(ns, DEVICE, wgConf.listenPort(), mtu(), offload)
                    : new KernelWgDevice(ns, DEVICE, wgConf.listenPort());
            created = new IpReader(ns).link(DEVICE).isEmpty();
            d.open();
            device = d; // from here on abandon() can undo it
            byte[] privateKey = KeyFile.loadOrCreate(keyFile);
            publicKey = Base64.getEncoder().encodeToString(new X25519().publicKey(clamped(privateKey)));
            d.configure(privateKey, keyFile);
            java.util.Arrays.fill(privateKey, (byte) 0);
            IpBatch.run(ns, Link.mtu(DEVICE, mtu()));
            LOG.info("wireguard backend: " + DEVICE + " (" + device.describe() + "), listen port " + wgConf.listenPort()
                    + ", MTU " + mtu() + ", public key " + publicKey + (presharedKey != null ? ", with a PSK" : ""));
        }
        return LeaseRecord.wireguard(publicIp, publicKey, wgConf.listenPort());
    }

    private static byte[] clamped(byte[] k) {
        byte[] c = k.clone();
        X25519.clamp(c);
        return c;
    }

    /** As flannel's Configure: the subnet's network address as a /32, the device up, the Network routed through it. */
    @Override
    public synchronized void activate(Ipv4Cidr localSubnet) {
        activeSubnet = localSubnet;
        new IpBatch().add(Addr.replace(DEVICE, localSubnet.network(), 32)).add(Link.up(DEVICE))
                .add(RouteEntry.direct(network, DEVICE).replace()).apply(ns);
    }

    /** FLANNEL_MTU and the device's MTU: the underlay's (or Backend.MTU) minus 80, as flannel's network.MTU(). */
    @Override
    public int mtu() {
        return (conf.mtu() > 0 ? conf.mtu() : underlayMtu) - OVERHEAD;
    }

    @Override
    public DesiredState desired(Ipv4Cidr localSubnet, List<Lease> remotes) {
        List<WgTool.PeerSpec> peers = new ArrayList<>();
        for (Lease l : remotes) {
            LeaseRecord r = l.attrs();
            if (l.subnet().equals(localSubnet)) continue;
            if (!BackendConf.WIREGUARD.equals(r.backendType()) || r.publicKey() == null) {
                if (warned.add(l.subnet().toString())) {
                    LOG.warning("skipping lease " + l.subnet() + ": backend type \"" + r.backendType() + "\""
                            + (BackendConf.WIREGUARD.equals(r.backendType()) ? " without a PublicKey" : " is not wireguard"));
                }
                continue;
            }
            if (!validKey(r.publicKey())) {
                if (warned.add(l.subnet() + "key")) LOG.warning("skipping lease " + l.subnet() + ": PublicKey is not a WireGuard key");
                continue;
            }
            int port = r.wireguardPort() > 0 ? r.wireguardPort() : wgConf.listenPort();
            peers.add(new WgTool.PeerSpec(r.publicKey(), wgConf.psk(), new InetSocketAddress(r.publicIp().toInetAddress(), port),
                    List.of(l.subnet()), wgConf.persistentKeepalive()));
        }
        WgDevice d;
        synchronized (this) {
            d = device;
        }
        if (d != null && d.setPeers(peers)) LOG.info(DEVICE + " now has " + peers.size() + " peers");
        return DesiredState.empty();
    }

    private static boolean validKey(String s) {
        try {
            return s.length() == 44 && Base64.getDecoder().decode(s).length == 32;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public Set<String> ownedDevices() {
        return Set.of(DEVICE);
    }

    /** Reopens a device that went away (and its address and route), and puts back a deleted Network route. */
    @Override
    public synchronized boolean ensureDevice(Ipv4Cidr localSubnet) {
        Ipv4Cidr s = localSubnet != null ? localSubnet : activeSubnet;
        if (device == null) return false;
        if (!device.healthy()) {
            LOG.warning(DEVICE + " is missing or not working; opening it again");
            device.close();
            device.open();
            byte[] privateKey = KeyFile.loadOrCreate(keyFile);
            device.configure(privateKey, keyFile);
            java.util.Arrays.fill(privateKey, (byte) 0);
            IpBatch.run(ns, Link.mtu(DEVICE, mtu()));
            if (s != null) activate(s);
            return true;
        }
        boolean routed = new IpReader(ns).routes().stream().anyMatch(r -> r.dst().equals(network) && DEVICE.equals(r.dev()));
        if (!routed && s != null) {
            LOG.warning("the route " + network + " dev " + DEVICE + " was gone; putting it back");
            activate(s);
            return true;
        }
        return false;
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

    public View view() {
        WgDevice d;
        synchronized (this) {
            d = device;
        }
        if (d == null) return new View(null, false, wgConf.listenPort(), publicKey, List.of(), List.of());
        return new View(d.describe(), d.healthy(), wgConf.listenPort(), publicKey, d.peers(), d.counters());
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        WgDevice d = device;
        if (d != null) d.writeMetrics(w);
    }

    /** Only weft's own datapath can be captured from; the kernel's device answers 503 as a kernel VXLAN node does. */
    @Override
    public boolean capturable() {
        return device instanceof UserspaceWgDevice;
    }

    /** The capture in progress on the userspace datapath, if any. */
    @Override
    public FrameSink sink() {
        return device instanceof UserspaceWgDevice u ? u.captureSink() : null;
    }

    /**
     * Shows the userspace datapath's decrypted packets to {@code sink} (null stops): what {@code weftd capture} and
     * {@code /debug/capture} read. The kernel's device has no such hook: capture its traffic with tcpdump on flannel-wg.
     */
    @Override
    public void sink(FrameSink sink) {
        if (device instanceof UserspaceWgDevice u) u.captureSink(sink);
    }

    @Override
    public synchronized void close() {
        if (device != null) device.close();
        device = null;
    }

    /** A failed start removes the device it made (the kernel's, or wireguard-go's TUN, which ends wireguard-go). */
    @Override
    public synchronized void abandon() {
        close();
        if (!created) return;
        created = false;
        if (new IpReader(ns).link(DEVICE).isEmpty()) return; // weft's own TUN went with close()
        LOG.info("removing " + DEVICE + ", which this failed start created");
        IpBatch.run(ns, Link.delete(DEVICE));
    }
}
