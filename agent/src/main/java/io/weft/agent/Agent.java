package io.weft.agent;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.hostgw.HostGwBackend;
import io.weft.agent.backend.vxlan.VxlanBackend;
import io.weft.agent.capture.CaptureHandler;
import io.weft.agent.capture.CaptureSource;
import io.weft.agent.debug.DebugServer;
import io.weft.agent.debug.LocalSocketListener;
import io.weft.agent.debug.TlsListener;
import io.weft.agent.http.HealthServer;
import io.weft.agent.metrics.Metrics;
import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.reconcile.LocalBlackhole;
import io.weft.agent.reconcile.Reconciler;
import io.weft.agent.status.StatusHandler;
import io.weft.agent.trace.TraceHandler;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.traffic.TrafficRules;
import io.weft.agent.underlay.Underlay;
import io.weft.core.config.BackendConf;
import io.weft.core.config.NetConf;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * weftd's life: pick the underlay, prepare the backend, take a lease, program the peers, write subnet.env,
 * then keep the kernel in line with the leases until SIGTERM, which leaves the datapath as it is.
 */
public final class Agent {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());

    /**
     * What the command line says.
     *
     * @param debug                    where the debug API is served (null: nowhere)
     * @param iptablesResync           how often the traffic rules are checked (--iptables-resync)
     * @param iptablesForwardRules     flannel's FORWARD accept rules for the pod network (--iptables-forward-rules)
     * @param ipMasqRandomFullyDisable masquerade with --random instead of --random-fully (--ip-masq-fully-random-disable)
     * @param renewMargin              how long before its expiry a lease is renewed (--subnet-lease-renew-margin)
     * @param blackholeRoute           a blackhole route for this node's subnet (--ip-blackhole-route)
     */
    public record Settings(Underlay.Choice iface, Ipv4Address publicIp, Path subnetFile, boolean ipMasq,
                           String healthzIp, int healthzPort, Duration resync, DebugAccess debug,
                           Duration iptablesResync, boolean iptablesForwardRules, boolean ipMasqRandomFullyDisable,
                           Duration renewMargin, boolean blackholeRoute) {}

    /**
     * Where the debug API (capture, and what shows traffic) is served: the node's socket ({@code null}: none), and
     * remotely only over TLS with client certificates ({@code listen} null: not at all).
     */
    public record DebugAccess(Path socket, java.net.InetSocketAddress listen, javax.net.ssl.SSLContext tls) {
        public static final DebugAccess NONE = new DebugAccess(null, null, null);
    }

    /** Builds the backend named by the config; a hook so the userspace datapath can be plugged in. */
    public interface BackendFactory {
        /** @param network the cluster Network (the wireguard backend routes it through its device) */
        Backend create(Netns ns, BackendConf conf, Ipv4Cidr network, Underlay underlay, Ipv4Address publicIp,
                       MacAddress previousMac);
    }

    private final Settings settings;
    private final SubnetManager manager;
    private final Netns ns = Netns.CURRENT;
    private final Metrics metrics = new Metrics();
    private final BackendFactory backends;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile long lastLoopNanos = System.nanoTime();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Thread loopThread;
    private volatile Backend backend;
    private final AgentStatus status;

    public Agent(Settings settings, SubnetManager manager, BackendFactory backends) {
        this.settings = settings;
        this.manager = manager;
        this.backends = backends;
        this.status = new AgentStatus(ns, manager.toString());
    }

    public static Backend defaultBackend(Netns ns, BackendConf conf, Ipv4Cidr network, Underlay u, Ipv4Address publicIp,
                                         MacAddress previousMac) {
        return switch (conf.type()) {
            case BackendConf.HOST_GW -> new HostGwBackend(u.iface(), publicIp, u.network(), u.mtu());
            case BackendConf.VXLAN -> {
                if (conf.isUserspace()) {
                    yield io.weft.agent.backend.userspace.UserspaceVxlanBackend.create(ns, conf, u, publicIp, previousMac);
                }
                yield new VxlanBackend(ns, conf, u.iface(), u.address(), publicIp, u.network(), u.mtu(), previousMac);
            }
            case BackendConf.WIREGUARD -> io.weft.agent.backend.wireguard.WireGuardBackend.create(ns, conf, u, publicIp,
                    network);
            default -> throw new BackendException("unknown backend type " + conf.type());
        };
    }

    /** Runs until {@link #stop()}; returns normally on a clean stop, throws when the agent cannot start. */
    public void run() throws IOException, InterruptedException {
        loopThread = Thread.currentThread();
        status.open();
        try {
            runInner();
        } finally {
            status.close();
            stopped.countDown();
        }
    }

    private void runInner() throws IOException, InterruptedException {
        // First, before anything on the node is touched: a second agent on this node stops here, at the socket.
        try (DebugServer debug = openDebugApi()) {
            runInner(debug);
        }
    }

    private DebugServer openDebugApi() throws IOException {
        DebugServer debug = new DebugServer();
        debug.register(CaptureHandler.PATH, new CaptureHandler(() -> backend instanceof CaptureSource c && c.capturable() ? c : null));
        debug.register(StatusHandler.PATH, new StatusHandler(status::snapshot));
        debug.register(TraceHandler.PATH, new TraceHandler(ns, status::snapshot));
        metrics.add(debug);
        DebugAccess access = settings.debug() == null ? DebugAccess.NONE : settings.debug();
        try {
            if (access.socket() != null) LocalSocketListener.open(access.socket(), debug);
            if (access.listen() != null) {
                TlsListener.open(access.listen(), access.tls(), debug);
                LOG.info("debug API also on " + access.listen().getHostString() + ":" + access.listen().getPort()
                        + " for clients with a certificate from --debug-client-ca-file");
            }
        } catch (IOException e) {
            debug.close();
            throw e;
        }
        return debug;
    }

    private void runInner(DebugServer debug) throws IOException, InterruptedException {
        NetConf conf = manager.config();
        IpReader reader = new IpReader(ns);
        Ipv4Address givenIp = storedPublicIp().orElse(settings.publicIp());
        Underlay underlay = Underlay.select(reader, settings.iface(), givenIp);
        Ipv4Address publicIp = givenIp != null ? givenIp : underlay.address();
        LOG.info("weftd starting: network " + conf.network() + ", backend " + conf.backend().type()
                + (conf.backend().isUserspace() ? " (userspace datapath)" : "") + ", iface " + underlay.iface()
                + " " + underlay.address() + ", public IP " + publicIp + ", leases in " + manager);

        TrafficRules traffic = new TrafficRules(ns, conf.enableNFTables(), new TrafficRules.Options(settings.ipMasq(),
                settings.iptablesForwardRules(), settings.ipMasqRandomFullyDisable(), settings.iptablesResync()));
        status.started(conf, underlay, traffic);
        HealthServer http = null;
        if (settings.healthzPort() > 0) {
            http = new HealthServer(settings.healthzIp(), settings.healthzPort(),
                    () -> System.nanoTime() - lastLoopNanos < Duration.ofSeconds(60).toNanos(), () -> ready, metrics);
        }
        MacAddress previousMac = manager.leases().stream()
                .filter(l -> l.attrs().publicIp().equals(publicIp)).map(l -> l.attrs().vtepMac())
                .filter(m -> m != null).findFirst().orElse(null);
        try (traffic; Backend backend = backends.create(ns, conf.backend(), conf.network(), underlay, publicIp, previousMac)) {
            this.backend = backend;
            if (backend instanceof MetricsSource counters) metrics.add(counters);
            status.phase("preparing the " + conf.backend().type() + " backend");
            LeaseRecord attrs = backend.prepare();
            status.backend(backend, attrs);
            status.phase("taking a lease from " + manager);
            Lease lease = manager.acquire(attrs);
            status.lease(lease);
            status.phase("programming the peers");
            LOG.info("lease " + lease.subnet() + (attrs.vtepMac() != null ? " (VtepMAC " + attrs.vtepMac() + ")" : "")
                    + ", expires " + lease.expiration());
            metrics.leaseExpiryEpochSeconds.set(lease.expiration().getEpochSecond());
            backend.activate(lease.subnet());
            if (http != null) http.start();

            Reconciler reconciler = new Reconciler(ns, conf.network(), backend);
            status.reconciler(reconciler);
            LocalBlackhole blackhole = new LocalBlackhole(ns);
            SubnetEnv env = new SubnetEnv(conf.network(), lease.subnet(), backend.mtu(), settings.ipMasq());
            boolean envWritten = false;
            while (running) {
                lastLoopNanos = System.nanoTime();
                try {
                    if (Instant.now().isAfter(lease.expiration().minus(settings.renewMargin()))) {
                        lease = manager.renew(lease);
                        metrics.leaseExpiryEpochSeconds.set(lease.expiration().getEpochSecond());
                        status.lease(lease);
                        LOG.info("renewed lease " + lease.subnet() + " until " + lease.expiration());
                    }
                    List<Lease> leases = manager.leases();
                    logPeerChanges(lease.subnet(), leases);
                    status.leases(leases);
                    Reconciler.Result r = reconciler.reconcile(lease.subnet(), leases);
                    metrics.reconcileRounds.incrementAndGet();
                    metrics.entriesAdded.addAndGet(r.added());
                    metrics.entriesRemoved.addAndGet(r.removed());
                    if (r.deviceRestored()) metrics.deviceRestores.incrementAndGet();
                    metrics.remoteLeases.set(leases.stream().filter(l -> !l.subnet().equals(env.subnet())).count());
                    if (settings.blackholeRoute()) blackhole.ensure(lease.subnet());
                    traffic.ensure(conf.network(), lease.subnet());
                    if (!envWritten) {
                        env.writeAtomically(settings.subnetFile());
                        envWritten = true;
                        LOG.info("wrote " + settings.subnetFile() + ": FLANNEL_SUBNET=" + env.subnet().firstHost() + "/"
                                + env.subnet().prefix() + " FLANNEL_MTU=" + env.mtu());
                    }
                    if (!ready) {
                        ready = true;
                        status.ready();
                        metrics.ready.set(1);
                        LOG.info("ready: " + metrics.remoteLeases.get() + " peers programmed");
                    }
                } catch (RuntimeException | IOException e) {
                    metrics.reconcileErrors.incrementAndGet();
                    if (!ready) status.phase("programming the peers failed, retrying: " + e.getMessage());
                    LOG.log(Level.WARNING, "reconcile failed, retrying: " + e.getMessage(), e);
                }
                try {
                    manager.awaitChange(settings.resync().toMillis());
                } catch (InterruptedException e) {
                    if (!running) break;
                    throw e;
                }
            }
            LOG.info("stopping; the datapath stays in place");
        } finally {
            if (http != null) http.close();
        }
    }

    /** The store's address for this node (a Kubernetes node's node-public-ip), which beats --public-ip as in flanneld. */
    private java.util.Optional<Ipv4Address> storedPublicIp() throws IOException {
        java.util.Optional<String> stored = manager.storedPublicIp();
        if (stored.isEmpty()) return java.util.Optional.empty();
        try {
            Ipv4Address ip = Ipv4Address.parse(stored.get().strip());
            LOG.info("public IP " + ip + " from the lease store (the node's node-public-ip annotation)");
            return java.util.Optional.of(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the node's node-public-ip annotation '" + stored.get() + "' is not an IPv4 address");
        }
    }

    private java.util.Map<io.weft.core.net.Ipv4Cidr, Lease> knownPeers = java.util.Map.of();

    /** One line per node that joins or leaves, in words an operator reads. */
    private void logPeerChanges(io.weft.core.net.Ipv4Cidr local, List<Lease> leases) {
        java.util.Map<io.weft.core.net.Ipv4Cidr, Lease> now = new java.util.TreeMap<>();
        for (Lease l : leases) if (!l.subnet().equals(local)) now.put(l.subnet(), l);
        for (Lease l : now.values()) {
            Lease before = knownPeers.get(l.subnet());
            if (before == null) {
                LOG.info("peer " + l.subnet() + " at " + l.attrs().publicIp() + " (" + l.attrs().backendType()
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : "") + ")");
            } else if (!before.attrs().equals(l.attrs())) {
                LOG.info("peer " + l.subnet() + " changed: now at " + l.attrs().publicIp()
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : ""));
            }
        }
        for (io.weft.core.net.Ipv4Cidr gone : knownPeers.keySet()) {
            if (!now.containsKey(gone)) {
                LOG.info("peer " + gone + " left (lease removed or expired)");
                status.departed(gone, knownPeers.get(gone));
            }
        }
        knownPeers = now;
    }

    public Metrics metrics() {
        return metrics;
    }

    public boolean isReady() {
        return ready;
    }

    /** Asks the loop to end and waits for it; nothing in the kernel is removed. */
    public void stop() {
        running = false;
        Thread t = loopThread;
        if (t != null) t.interrupt();
        try {
            stopped.await(java.util.concurrent.TimeUnit.SECONDS.toMillis(5), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
