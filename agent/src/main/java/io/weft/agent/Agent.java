package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import io.weft.agent.backend.Backend;
import io.weft.agent.capture.CaptureHandler;
import io.weft.agent.capture.CaptureSource;
import io.weft.agent.debug.DebugServer;
import io.weft.agent.debug.LocalSocketListener;
import io.weft.agent.debug.TlsListener;
import io.weft.agent.http.HealthServer;
import io.weft.agent.metrics.Metrics;
import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.preflight.OneAgentPerNode;
import io.weft.agent.preflight.Preflight;
import io.weft.agent.reconcile.KernelWatch;
import io.weft.agent.reconcile.LocalBlackhole;
import io.weft.agent.reconcile.Reconciler;
import io.weft.agent.subnet.ChangeSignal;
import io.weft.agent.subnet.DirWatch;
import io.weft.agent.status.StatusHandler;
import io.weft.agent.trace.TraceHandler;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.traffic.TrafficRules;
import io.weft.core.config.NetConf;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
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
     * @param publicIpv6               --public-ipv6: the IPv6 address other nodes reach this one at (null: the interface's)
     * @param debug                    where the debug API is served (null: nowhere)
     * @param iptablesResync           how often the traffic rules are checked (--iptables-resync)
     * @param iptablesForwardRules     flannel's FORWARD accept rules for the pod network (--iptables-forward-rules)
     * @param ipMasqRandomFullyDisable masquerade with --random instead of --random-fully (--ip-masq-fully-random-disable)
     * @param renewMargin              how long before its expiry a lease is renewed (--subnet-lease-renew-margin)
     * @param blackholeRoute           a blackhole route for this node's subnet (--ip-blackhole-route)
     */
    public record Settings(Underlay.Choice iface, Ipv4Address publicIp, Ipv6Address publicIpv6, Path subnetFile, boolean ipMasq,
                           String healthzIp, int healthzPort, Duration resync, DebugAccess debug,
                           Duration iptablesResync, boolean iptablesForwardRules, boolean ipMasqRandomFullyDisable,
                           Duration renewMargin, boolean blackholeRoute, boolean kernelWatch) {}

    /**
     * Where the debug API (capture, and what shows traffic) is served: the node's socket ({@code null}: none), and
     * remotely only over TLS with client certificates ({@code listen} null: not at all).
     */
    public record DebugAccess(Path socket, java.net.InetSocketAddress listen, javax.net.ssl.SSLContext tls) {
        public static final DebugAccess NONE = new DebugAccess(null, null, null);
    }

    /** Builds the backend named by the config; a hook so the userspace datapath can be plugged in. */
    public interface BackendFactory {
        /** {@code publicIp} null on an IPv6-only cluster, {@code publicIpv6} null without EnableIPv6. */
        Backend create(Netns ns, NetConf conf, Underlay underlay, Ipv4Address publicIp, Ipv6Address publicIpv6,
                       PreviousMacs previous);
    }

    private final Settings settings;
    private final SubnetManager manager;
    private final Netns ns = Netns.CURRENT;
    private final Metrics metrics = new Metrics();
    private final BackendFactory backends;
    private static final Duration RENEW_RETRY = Duration.ofSeconds(10);
    /** The longest the loop sleeps, so /healthz (a loop seen within 60 s) holds with any --resync-interval. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(20);
    private final Readiness readiness = new Readiness();
    private volatile boolean running = true;
    private volatile Lease ownLease;
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
        // First, before anything on the node is touched: a second agent on this node stops here.
        try (OneAgentPerNode node = OneAgentPerNode.acquire(); DebugServer debug = openDebugApi()) {
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
        Ipv4Address givenIp = StoredAddresses.ipv4(manager).orElse(settings.publicIp());
        Underlay underlay = Underlay.select(reader, settings.iface(), givenIp, conf.enableIPv4())
                .withIpv6(conf, reader, StoredAddresses.ipv6(manager).orElse(settings.publicIpv6()));
        Ipv4Address publicIp = !conf.enableIPv4() ? null : givenIp != null ? givenIp : underlay.address();
        Ipv6Address publicIpv6 = underlay.publicIpv6();
        Preflight.check(conf, underlay, reader);
        LOG.info("weftd starting: network " + conf.networks() + ", backend " + conf.backend().type()
                + (conf.backend().isUserspace() ? " (userspace datapath)" : "") + ", iface " + underlay.iface()
                + " " + (underlay.address() != null ? underlay.address() : underlay.addressV6()) + ", public IP " + publicIp + (publicIpv6 == null ? ""
                : ", public IPv6 " + publicIpv6) + ", leases in " + manager);

        TrafficRules traffic = new TrafficRules(ns, conf.enableNFTables(), new TrafficRules.Options(settings.ipMasq(),
                settings.iptablesForwardRules(), settings.ipMasqRandomFullyDisable(), settings.iptablesResync()));
        status.started(conf, underlay, traffic);
        HealthServer http = null;
        if (settings.healthzPort() > 0) {
            http = new HealthServer(settings.healthzIp(), settings.healthzPort(),
                    () -> System.nanoTime() - lastLoopNanos < Duration.ofSeconds(60).toNanos(), readiness::reasons, metrics);
        }
        List<Lease> known = KnownPeers.read(manager);
        PreviousMacs previous = PreviousMacs.of(known, publicIp, publicIpv6);
        try (traffic; Backend backend = backends.create(ns, conf, underlay, publicIp, publicIpv6, previous)) {
            this.backend = backend;
            if (conf.backend().isUserspace()) KnownPeers.give(backend, known, publicIp, publicIpv6, Instant.now());
            if (backend instanceof MetricsSource counters) metrics.add(counters);
            Lease lease = takeLease(backend);
            if (http != null) http.start();
            new Loop(conf, backend, lease, traffic).run();
            LOG.info("stopping; the datapath stays in place");
        } finally {
            if (http != null) http.close();
        }
    }

    /**
     * Prepares the backend and takes the lease; a start that fails here leaves the node as it found it: a device
     * this start made goes, a lease it took is given back.
     */
    private Lease takeLease(Backend backend) throws IOException {
        Lease lease = null;
        try {
            status.phase("preparing the " + backend.type() + " backend");
            LeaseRecord attrs = backend.prepare();
            status.backend(backend, attrs);
            status.phase("taking a lease from " + manager);
            lease = manager.acquire(attrs);
            status.lease(lease);
            status.phase("programming the peers");
            ownLease = lease;
            LOG.info("lease " + lease.describe() + (attrs.vtepMac() != null ? " (VtepMAC " + attrs.vtepMac() + ")" : "")
                    + ", expires " + lease.expiration());
            metrics.leaseExpiryEpochSeconds.set(lease.expiration().getEpochSecond());
            backend.activate(lease);
            return lease;
        } catch (IOException | RuntimeException e) {
            if (lease != null) manager.release(lease);
            backend.abandon();
            throw e;
        }
    }

    /** The loop of a started agent: one round whenever something changed, the kernel in full now and then. */
    private final class Loop {
        private final NetConf conf;
        private final Backend backend;
        private final TrafficRules traffic;
        private final Reconciler reconciler;
        private final LocalBlackhole blackhole = new LocalBlackhole(ns);
        private final SubnetEnvFile env;
        private final PeerLog peerLog = new PeerLog();
        private final HeapTrim heapTrim;
        private Lease lease;
        private List<Lease> last;
        private long nextFull;
        private long nextBlackhole;
        private long retryAt;
        private long failures;
        private Instant renewRetryAt = Instant.MIN;
        private String renewProblem;
        private DirWatch envWatch;
        private boolean everReady;

        Loop(NetConf conf, Backend backend, Lease lease, TrafficRules traffic) {
            this.conf = conf;
            this.backend = backend;
            this.lease = lease;
            this.traffic = traffic;
            this.heapTrim = new HeapTrim(!conf.backend().isUserspace());
            this.reconciler = new Reconciler(ns, conf.networks(), backend);
            status.reconciler(reconciler);
            this.env = new SubnetEnvFile(settings.subnetFile(), new SubnetEnv(conf.network(), lease.subnet(), backend.mtu(),
                    settings.ipMasq(), conf.ipv6Network(), lease.ipv6Subnet()));
        }

        void run() throws InterruptedException {
            ChangeSignal wake = manager.changes();
            try (KernelWatch kernel = new KernelWatch(ns, backend::ownedDevices, conf.networks(), wake)) {
                if (settings.kernelWatch()) kernel.start();
                while (running) {
                    lastLoopNanos = System.nanoTime();
                    renewIfDue();
                    if (System.nanoTime() - retryAt >= 0) round(kernel);
                    traffic.ensure(conf.network(), lease.subnet(), conf.ipv6Network(), lease.ipv6Subnet());
                    if (failures == 0) {
                        readiness.set(Readiness.Area.SUBNET_ENV, env.ensure());
                        watchSubnetEnv(wake);
                    }
                    readiness.set(Readiness.Area.LEASE, leaseProblem());
                    if (failures == 0 && readiness.reasons().size() == 1 && !everReady) {
                        everReady = true;
                        readiness.set(Readiness.Area.STARTING, null);
                        status.ready();
                        LOG.info("ready: " + metrics.remoteLeases.get() + " peers programmed");
                        if (CompilerThreads.nice(0) < 0) LOG.fine("the JIT's compiler threads keep their nice value: not root");
                    }
                    metrics.ready.set(readiness.ready() ? 1 : 0);
                    heapTrim.poll();
                    try {
                        wake.await(waitMillis());
                    } catch (InterruptedException e) {
                        if (!running) break;
                        throw e;
                    }
                }
            } finally {
                if (envWatch != null) envWatch.close();
            }
        }

        /** Reconciles when the leases changed or the kernel is due (or reported damage) for a full check. */
        private void round(KernelWatch kernel) {
            long now = System.nanoTime();
            try {
                List<Lease> leases = manager.leases();
                boolean full = kernel.takeDirty() || now - nextFull >= 0;
                if (full || !leases.equals(last)) {
                    if (!leases.equals(last)) {
                        peerLog.log(lease, leases, status::departed);
                        status.leases(leases);
                    }
                    Reconciler.Result r = reconciler.reconcile(lease, leases, full);
                    metrics.reconcileRounds.incrementAndGet();
                    metrics.entriesAdded.addAndGet(r.added());
                    metrics.entriesRemoved.addAndGet(r.removed());
                    heapTrim.changed(r.added() + r.removed());
                    if (r.deviceRestored()) metrics.deviceRestores.incrementAndGet();
                    metrics.remoteLeases.set(leases.stream().filter(l -> !l.key().equals(lease.key())).count());
                    last = leases;
                    if (full) nextFull = now + settings.resync().toNanos();
                }
                if (settings.blackholeRoute() && lease.subnet() != null && now - nextBlackhole >= 0) {
                    blackhole.ensure(lease.subnet());
                    nextBlackhole = now + settings.iptablesResync().toNanos();
                }
                failures = 0;
                readiness.set(Readiness.Area.KERNEL, null);
            } catch (RuntimeException | IOException e) {
                failures++;
                reconciler.forget();
                last = null;
                metrics.reconcileErrors.incrementAndGet();
                readiness.set(Readiness.Area.KERNEL, "the last round failed: " + e.getMessage());
                if (!everReady) status.phase("programming the peers failed, retrying: " + e.getMessage());
                LOG.log(Level.FINE, "round failed", e);
                retryAt = now + Math.min(settings.resync().toNanos(), 500_000_000L << Math.min(failures, 6));
            }
        }

        private void renewIfDue() {
            Instant now = Instant.now();
            if (now.isBefore(lease.expiration().minus(settings.renewMargin())) || now.isBefore(renewRetryAt)) return;
            try {
                lease = manager.renew(lease);
                ownLease = lease;
                status.lease(lease);
                metrics.leaseExpiryEpochSeconds.set(lease.expiration().getEpochSecond());
                LOG.info("renewed lease " + lease.describe() + " until " + lease.expiration());
                renewProblem = null;
            } catch (RuntimeException | IOException e) {
                renewRetryAt = now.plus(RENEW_RETRY);
                if (!String.valueOf(e.getMessage()).equals(renewProblem)) {
                    LOG.warning("cannot renew lease " + lease.describe() + " (it expires " + lease.expiration() + "; retrying every "
                            + RENEW_RETRY.toSeconds() + " s): " + e.getMessage());
                }
                renewProblem = String.valueOf(e.getMessage());
            }
        }

        /** Why this node's lease does not serve it (expired unrenewed, its record unwritable), or null. */
        private String leaseProblem() {
            if (!Instant.now().isBefore(lease.expiration())) {
                return "this node's lease " + lease.describe() + " expired at " + lease.expiration() + " and cannot be renewed: "
                        + renewProblem;
            }
            String p = manager.problem();
            return p == null ? null : "this node's lease record in " + manager + " is not what it published: " + p;
        }

        /** subnet.env's directory, watched once the file is written, so that a deleted file is back at once. */
        private void watchSubnetEnv(ChangeSignal wake) {
            if (envWatch != null || !java.nio.file.Files.exists(env.file())) return;
            try {
                String name = env.file().getFileName().toString();
                envWatch = DirWatch.start(env.file().toAbsolutePath().getParent(), wake, name::equals);
            } catch (IOException e) {
                LOG.fine("cannot watch " + env.file() + ": " + e.getMessage() + "; it is checked every round");
            }
        }

        private long waitMillis() {
            long now = System.nanoTime();
            long until = Math.min(nextFull, failures > 0 ? retryAt : Long.MAX_VALUE);
            if (settings.blackholeRoute()) until = Math.min(until, nextBlackhole);
            until = Math.min(until, heapTrim.dueAt());
            // a renewal that is due (or refused and retried) wakes the loop on time, not up to MAX_WAIT later
            Instant renewAt = lease.expiration().minus(settings.renewMargin());
            if (renewRetryAt.isAfter(renewAt)) renewAt = renewAt.isBefore(Instant.now()) ? renewRetryAt : renewAt;
            until = Math.min(until, now + Math.max(0, Duration.between(Instant.now(), renewAt).toNanos()));
            long ms = Math.max(1, (until - now) / 1_000_000);
            return Math.min(ms, MAX_WAIT.toMillis());
        }
    }

    /** What the agent holds now: its lease, what it knows of every subnet, why it is not ready. */
    public AgentState state() {
        return new AgentState(ownLease, manager.toString(), manager.problem(), manager.connection(), manager.entries(),
                readiness.reasons());
    }

    public Metrics metrics() {
        return metrics;
    }

    public boolean isReady() {
        return readiness.ready();
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
