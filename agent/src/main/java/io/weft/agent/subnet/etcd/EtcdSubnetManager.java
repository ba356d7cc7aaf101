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
 * JSON, attached to an etcd lease of 24 h that the agent renews an hour ahead (a dead node's subnet comes free
 * when it runs out). A subnet is taken with a transaction that succeeds only if the key does not exist, so two
 * agents never take the same one; a restarted agent finds its lease by its PublicIP and keeps it. A watch on
 * the subnets wakes the agent as soon as a node joins or leaves.
 */
public final class EtcdSubnetManager implements SubnetManager {
    private static final Logger LOG = Logger.getLogger(EtcdSubnetManager.class.getName());
    public static final String DEFAULT_PREFIX = "/coreos.com/network";
    static final Duration TTL = Duration.ofHours(24);
    private static final int CREATE_ATTEMPTS = 20;

    private final EtcdClient etcd;
    private final String prefix;
    private final NetConf given;
    private final Clock clock;
    private final ChangeSignal changed = new ChangeSignal();
    private final Map<String, String> reported = new HashMap<>(); // key -> last problem logged
    private volatile Thread watcher;
    private volatile Lease mine; // this node's, once acquired
    private volatile boolean closed;

    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given) {
        this(etcd, prefix, given, Clock.systemUTC());
    }

    EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Clock clock) {
        if (prefix == null || !prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("--etcd-prefix: '" + prefix + "' must start with '/' and not end with one, e.g. "
                    + DEFAULT_PREFIX);
        }
        this.etcd = etcd;
        this.prefix = prefix;
        this.given = given;
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
            if (held.isPresent() && pool.contains(held.get().subnet)) {
                Stored h = held.get();
                long lease = freshLease();
                // Only while it is still ours: a concurrent agent with the same PublicIP would be a misconfiguration,
                // and this keeps the two from overwriting each other unseen.
                if (call(() -> etcd.replaceIfUnchanged(h.kv.key(), h.kv.modRevision(), attrs.toJson(), lease))) {
                    LOG.info("reusing lease " + h.subnet + " held by " + attrs.publicIp());
                    startWatch();
                    return hold(h.subnet, attrs);
                }
                continue;
            }
            Ipv4Cidr free = pool.firstFree(all.stream().map(Stored::subnet).toList())
                    .orElseThrow(() -> SubnetException.poolExhausted(conf, pool));
            long lease = freshLease();
            if (call(() -> etcd.createIfAbsent(subnetsPrefix() + free.toKey(), attrs.toJson(), lease))) {
                LOG.info("acquired new lease " + free + " for " + attrs.publicIp());
                startWatch();
                return hold(free, attrs);
            }
            LOG.fine(free + " was taken meanwhile; trying the next free subnet");
        }
        throw new SubnetException("could not take a subnet in etcd after " + CREATE_ATTEMPTS + " attempts: every free one "
                + "was taken meanwhile by another node");
    }

    /** A new 24 h etcd lease under the same key and record, as flanneld renews. */
    @Override
    public Lease renew(Lease lease) throws IOException {
        long id = freshLease();
        call(() -> {
            etcd.put(subnetsPrefix() + lease.subnet().toKey(), lease.attrs().toJson(), id);
            return null;
        });
        return hold(lease.subnet(), lease.attrs());
    }

    /** A new etcd lease of {@link #TTL} for this node's key. */
    private long freshLease() {
        return call(() -> etcd.grantLease(TTL.toSeconds()));
    }

    /** Records {@code subnet} as this node's, held for {@link #TTL} from now. */
    private Lease hold(Ipv4Cidr subnet, LeaseRecord attrs) {
        return mine = new Lease(subnet, attrs, clock.instant().plus(TTL));
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
        long lease = freshLease();
        if (call(() -> etcd.createIfAbsent(key, own.attrs().toJson(), lease))) {
            LOG.warning("this node's lease " + own.subnet() + " had gone from etcd; stored it again");
            hold(own.subnet(), own.attrs());
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
    private synchronized void startWatch() {
        if (watcher != null || closed) return;
        Thread t = new Thread(this::watchLoop, "weft-etcd-watch");
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    private void watchLoop() {
        long backoff = 500;
        while (!closed) {
            try {
                long rev = etcd.getPrefix(subnetsPrefix()).revision();
                changed.signal(); // whatever happened while not watching
                etcd.watchPrefix(subnetsPrefix(), rev + 1, changed::signal);
                backoff = 500;
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
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
