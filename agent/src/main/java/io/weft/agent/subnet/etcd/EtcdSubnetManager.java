package io.weft.agent.subnet.etcd;

import io.weft.agent.subnet.ChangeSignal;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetException;
import io.weft.agent.subnet.SubnetManager;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.lease.SubnetPool;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Leases in etcd, laid out as flannel lays them out, so flannel and weft agents share one store: the network
 * config at {@code <prefix>/config}, each lease at {@code <prefix>/subnets/10.244.1.0-24} holding flannel's lease
 * JSON, attached to an etcd lease of 24 h that the agent renews ahead (a dead node's subnet comes free when it runs
 * out). As flannel's LocalManager (pkg/subnet/etcd/local_manager.go tryAcquireLease): a restarted agent finds its
 * lease by its PublicIP and keeps it (a reservation, a key an operator stored without TTL, stays without one), or
 * deletes it when it no longer fits the config; else it takes the subnet its subnet.env names when that is free, else
 * one picked at random among the first free ones. A subnet is taken with a transaction that succeeds only if the key
 * does not exist, so two agents never take the same one; the etcd lease granted for a transaction that fails is
 * revoked at once. A watch on the subnets wakes the agent as soon as a node joins or leaves, and lists again when
 * etcd has compacted the history it was watching from.
 */
public final class EtcdSubnetManager implements SubnetManager {
    private static final Logger LOG = Logger.getLogger(EtcdSubnetManager.class.getName());
    public static final String DEFAULT_PREFIX = "/coreos.com/network";
    static final Duration TTL = Duration.ofHours(24);
    /** flannel's raceRetries. */
    private static final int CREATE_ATTEMPTS = 10;
    /** A reservation never expires; the agent then never renews it. */
    private static final Duration RESERVED = Duration.ofDays(365 * 100);

    private final EtcdClient etcd;
    private final String prefix;
    private final NetConf given;
    private final Ipv4Cidr previous;
    private final Clock clock;
    private final java.util.random.RandomGenerator random = new java.security.SecureRandom();
    private final ChangeSignal changed = new ChangeSignal();
    private final Map<String, String> reported = new HashMap<>(); // key -> last problem logged
    private volatile Thread watcher;
    private volatile Lease mine; // this node's, once acquired
    private volatile boolean reserved; // mine is a reservation: a key without TTL
    private volatile boolean closed;

    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given) {
        this(etcd, prefix, given, null);
    }

    /** @param previous the subnet this node's subnet.env names (flanneld's or weft's), taken again when free; or null */
    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Ipv4Cidr previous) {
        this(etcd, prefix, given, previous, Clock.systemUTC());
    }

    EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Ipv4Cidr previous, Clock clock) {
        if (prefix == null || !prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("--etcd-prefix: '" + prefix + "' must start with '/' and not end with one, e.g. "
                    + DEFAULT_PREFIX);
        }
        this.etcd = etcd;
        this.prefix = prefix;
        this.given = given;
        this.previous = previous;
        this.clock = clock;
    }

    private String subnetsPrefix() {
        return prefix + "/subnets/";
    }

    /** net-conf.json given on the command line, else the one stored at {@code <prefix>/config}, as flanneld reads it. */
    @Override
    public NetConf config() throws IOException {
        if (given != null) return given;
        List<EtcdClient.Kv> kvs = call(() -> etcd.get(prefix + "/config")).kvs();
        if (kvs.isEmpty()) {
            throw new SubnetException("no network config in etcd at " + prefix + "/config (store one: etcdctl put "
                    + prefix + "/config '{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}')");
        }
        try {
            return NetConfParser.parse(kvs.get(0).value());
        } catch (ConfigException e) {
            String problem = e.getMessage().substring(e.field() == null ? 0 : e.field().length() + 2);
            throw new ConfigException(e.field(), problem + " (in etcd at " + prefix + "/config)");
        }
    }

    @Override
    public Lease acquire(LeaseRecord attrs) throws IOException {
        NetConf conf = config();
        SubnetPool pool = new SubnetPool(conf);
        for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
            List<Stored> all = readAll();
            Optional<Stored> held = all.stream().filter(s -> s.record != null && s.record.publicIp().equals(attrs.publicIp())).findFirst();
            if (held.isPresent()) {
                Stored h = held.get();
                if (!pool.contains(h.subnet)) {
                    LOG.info("lease " + h.subnet + " of " + attrs.publicIp() + " does not fit the network config (SubnetLen "
                            + conf.subnetLen() + ", " + conf.subnetMin() + " to " + conf.subnetMax() + "); deleting it");
                    call(() -> {
                        etcd.delete(h.kv.key());
                        return null;
                    });
                    continue;
                }
                boolean reservation = h.kv.lease() == 0;
                // Only while it is still ours: a concurrent agent with the same PublicIP would be a misconfiguration,
                // and this keeps the two from overwriting each other unseen.
                if (put(lease -> etcd.replaceIfUnchanged(h.kv.key(), h.kv.modRevision(), attrs.toJson(), lease), reservation)) {
                    LOG.info("reusing " + (reservation ? "reserved subnet " : "lease ") + h.subnet + " held by " + attrs.publicIp());
                    startWatch();
                    return hold(h.subnet, attrs, reservation);
                }
                continue;
            }
            Ipv4Cidr pick = previousIfFree(pool, all);
            if (pick == null) {
                pick = pool.randomFree(all.stream().map(Stored::subnet).toList(), random)
                        .orElseThrow(() -> SubnetException.poolExhausted(conf, pool));
            }
            Ipv4Cidr free = pick;
            if (put(lease -> etcd.createIfAbsent(subnetsPrefix() + free.toKey(), attrs.toJson(), lease), false)) {
                LOG.info("acquired new lease " + free + " for " + attrs.publicIp());
                startWatch();
                return hold(free, attrs, false);
            }
            LOG.fine(free + " was taken meanwhile; trying another free subnet");
        }
        throw new SubnetException("could not take a subnet in etcd after " + CREATE_ATTEMPTS + " attempts: every free one "
                + "was taken meanwhile by another node");
    }

    /** subnet.env's subnet when no key holds exactly it and it fits the config, as flannel's tryAcquireLease takes it. */
    private Ipv4Cidr previousIfFree(SubnetPool pool, List<Stored> all) {
        if (previous == null || all.stream().anyMatch(s -> s.subnet.equals(previous))) return null;
        if (!pool.contains(previous)) {
            LOG.warning("subnet.env's subnet " + previous + " does not fit the network config; taking another");
            return null;
        }
        LOG.info("taking subnet.env's subnet " + previous + " again");
        return previous;
    }

    private interface LeasedWrite {
        boolean write(long lease) throws IOException;
    }

    /**
     * Runs {@code write} under a fresh etcd lease of {@link #TTL} (none for a reservation); a write that fails or
     * does not take revokes that lease at once, as flannel's registry createSubnet does, instead of leaving it
     * behind for a day.
     */
    private boolean put(LeasedWrite write, boolean reservation) {
        long lease = reservation ? 0 : freshLease();
        boolean done = false;
        try {
            done = call(() -> write.write(lease));
            return done;
        } finally {
            if (!done && lease != 0) {
                try {
                    etcd.revoke(lease);
                } catch (IOException e) {
                    LOG.fine("could not revoke unused etcd lease " + Long.toHexString(lease) + ": " + e.getMessage());
                }
            }
        }
    }

    /** A new 24 h etcd lease under the same key and record, as flanneld renews; a reservation stays without TTL. */
    @Override
    public Lease renew(Lease lease) throws IOException {
        boolean reservation = reserved && mine != null && mine.subnet().equals(lease.subnet());
        put(id -> {
            etcd.put(subnetsPrefix() + lease.subnet().toKey(), lease.attrs().toJson(), id);
            return true;
        }, reservation);
        return hold(lease.subnet(), lease.attrs(), reservation);
    }

    /** A new etcd lease of {@link #TTL} for this node's key. */
    private long freshLease() {
        return call(() -> etcd.grantLease(TTL.toSeconds()));
    }

    /** Records {@code subnet} as this node's, held for {@link #TTL} from now (a reservation: for good). */
    private Lease hold(Ipv4Cidr subnet, LeaseRecord attrs, boolean reservation) {
        reserved = reservation;
        return mine = new Lease(subnet, attrs, clock.instant().plus(reservation ? RESERVED : TTL));
    }

    @Override
    public List<Lease> leases() throws IOException {
        startWatch();
        List<Lease> out = new ArrayList<>();
        Instant expiry = clock.instant().plus(TTL); // etcd removes an expired key itself; this is an upper bound
        List<Stored> all = readAll();
        Lease own = mine;
        if (own != null && all.stream().noneMatch(s -> s.subnet.equals(own.subnet()))) {
            all = restore(own, all);
        }
        for (Stored s : all) if (s.record != null) out.add(new Lease(s.subnet, s.record, expiry));
        out.sort(Comparator.comparing(Lease::subnet));
        return out;
    }

    /**
     * This node's key is gone (its etcd lease ran out while etcd was unreachable, or someone deleted it): the other
     * nodes would drop their routes to us, so take it again, unless another node took the subnet meanwhile.
     */
    private List<Stored> restore(Lease own, List<Stored> all) throws IOException {
        String key = subnetsPrefix() + own.subnet().toKey();
        if (put(lease -> etcd.createIfAbsent(key, own.attrs().toJson(), lease), false)) {
            LOG.warning("this node's lease " + own.subnet() + " had gone from etcd; stored it again");
            hold(own.subnet(), own.attrs(), false);
            return readAll();
        }
        LOG.severe("this node's lease " + own.subnet() + " had gone from etcd and another node took the subnet; "
                + "restart weftd on this node to get a new one (its pods' addresses change)");
        return all;
    }

    /** A key under subnets/, its subnet, and its record (null if unreadable: its subnet is still taken). */
    private record Stored(EtcdClient.Kv kv, Ipv4Cidr subnet, LeaseRecord record) {}

    private List<Stored> readAll() throws IOException {
        List<Stored> out = new ArrayList<>();
        for (EtcdClient.Kv kv : call(() -> etcd.getPrefix(subnetsPrefix())).kvs()) {
            String name = kv.key().substring(subnetsPrefix().length());
            Ipv4Cidr subnet;
            try {
                subnet = Ipv4Cidr.parseKey(name);
            } catch (IllegalArgumentException e) {
                report(kv.key(), "not a subnet lease name (" + e.getMessage() + ")");
                continue;
            }
            LeaseRecord record = null;
            try {
                record = LeaseRecord.parse(kv.value());
                reported.remove(kv.key());
            } catch (IllegalArgumentException e) {
                report(kv.key(), e.getMessage() + "; its subnet stays taken");
            }
            out.add(new Stored(kv, subnet, record));
        }
        return out;
    }

    private void report(String key, String problem) {
        if (!problem.equals(reported.put(key, problem))) LOG.warning("ignoring " + key + " in etcd: " + problem);
    }

    /** One watch thread per manager, re-established after etcd restarts or the connection drops. */
    private void startWatch() {
        startWatch(0);
    }

    /** The watch, from {@code fromRevision} (0: from a fresh listing); tests start one at a compacted revision. */
    synchronized void startWatch(long fromRevision) {
        if (watcher != null || closed) return;
        Thread t = new Thread(() -> watchLoop(fromRevision), "weft-etcd-watch");
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    private void watchLoop(long fromRevision) {
        long backoff = 500;
        long from = fromRevision;
        while (!closed) {
            try {
                if (from == 0) {
                    from = etcd.getPrefix(subnetsPrefix()).revision() + 1;
                    changed.signal(); // whatever happened while not watching
                }
                etcd.watchPrefix(subnetsPrefix(), from, events -> changed.signal());
                from = 0;
                backoff = 500;
            } catch (InterruptedException e) {
                return;
            } catch (EtcdClient.CompactedException e) {
                // flannel's registry watchSubnets: "etcd index outside history window", then leasesWatchReset
                LOG.warning("etcd watch: " + e.getMessage() + "; listing the leases again and watching from there");
                from = 0;
                continue;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                from = 0;
                LOG.fine("etcd watch ended (" + e.getMessage() + "); the resync interval covers the gap");
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    @Override
    public void awaitChange(long timeoutMillis) throws InterruptedException {
        changed.await(timeoutMillis);
    }

    private interface EtcdCall<T> {
        T run() throws IOException;
    }

    /** etcd failures as the one-line SubnetException weftd reports. */
    private static <T> T call(EtcdCall<T> c) {
        try {
            return c.run();
        } catch (IOException e) {
            throw new SubnetException(e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "etcd " + prefix;
    }

    @Override
    public void close() {
        closed = true;
        Thread t = watcher;
        if (t != null) t.interrupt();
        etcd.close();
    }
}
