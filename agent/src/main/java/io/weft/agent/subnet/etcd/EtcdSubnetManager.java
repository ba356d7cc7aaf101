package io.weft.agent.subnet.etcd;

import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetException;
import io.weft.agent.subnet.WatchedSubnetManager;
import io.weft.agent.subnet.etcd.EtcdLeases.Stored;
import io.weft.agent.subnet.etcd.EtcdLeases.Listing;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.lease.Ipv6SubnetPool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.lease.SubnetPool;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Leases in etcd, laid out as flannel lays them out, so flannel and weft agents share one store: the network
 * config at {@code <prefix>/config}, each lease at {@code <prefix>/subnets/10.244.1.0-24} (dual-stack:
 * {@code 10.244.1.0-24&fd00:10:244:1::-64}, pkg/subnet/subnet.go MakeSubnetKey) holding flannel's lease JSON, attached to an etcd lease of 24 h that the agent renews ahead (a dead node's subnet comes free when it runs
 * out). As flannel's LocalManager (pkg/subnet/etcd/local_manager.go tryAcquireLease): a restarted agent finds its
 * lease by its PublicIP and keeps it (a reservation, a key an operator stored without TTL, stays without one), or
 * deletes it when it no longer fits the config; else it takes the subnet its subnet.env names when that is free, else
 * one picked at random among the first free ones. A subnet is taken with a transaction that succeeds only if the key
 * does not exist, so two agents never take the same one; the etcd lease granted for a transaction that fails is
 * revoked at once. A watch on the subnets wakes the agent as soon as a node joins or leaves, and lists again when
 * etcd has compacted the history it was watching from.
 */
public final class EtcdSubnetManager extends WatchedSubnetManager {
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
    private final Ipv6Cidr previousV6;
    private final Clock clock;
    private final java.util.random.RandomGenerator random = new java.security.SecureRandom();
    private final EtcdLeases store;
    private volatile boolean reserved; // this node's lease is a reservation: a key without TTL

    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given) {
        this(etcd, prefix, given, null);
    }

    /** @param previous the subnet this node's subnet.env names (flanneld's or weft's), taken again when free; or null */
    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Ipv4Cidr previous) {
        this(etcd, prefix, given, previous, null, Clock.systemUTC());
    }

    /** @param previousV6 the IPv6 subnet subnet.env names (FLANNEL_IPV6_SUBNET), taken again when free; or null */
    public EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Ipv4Cidr previous, Ipv6Cidr previousV6) {
        this(etcd, prefix, given, previous, previousV6, Clock.systemUTC());
    }

    EtcdSubnetManager(EtcdClient etcd, String prefix, NetConf given, Ipv4Cidr previous, Ipv6Cidr previousV6, Clock clock) {
        if (prefix == null || !prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("--etcd-prefix: '" + prefix + "' must start with '/' and not end with one, e.g. "
                    + DEFAULT_PREFIX);
        }
        super("etcd " + prefix, clock);
        this.etcd = etcd;
        this.prefix = prefix;
        this.given = given;
        this.previous = previous;
        this.previousV6 = previousV6;
        this.clock = clock;
        this.store = new EtcdLeases(etcd, subnetsPrefix(), book, clock);
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
        SubnetPool pool = conf.enableIPv4() ? new SubnetPool(conf) : null; // none on an IPv6-only cluster
        Ipv4Cidr keepV4 = null;
        for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
            Listing all = call(store::list);
            Optional<Stored> held = all.stored().stream().filter(s -> s.record() != null && s.record().holder().equals(attrs.holder())).findFirst();
            if (held.isEmpty()) held = unreadablePrevious(conf, all.stored());
            if (held.isPresent()) {
                Stored h = held.get();
                if (!ipv4Fits(pool, h.subnet()) || !ipv6Fits(conf, h.ipv6Subnet())) {
                    LOG.info("lease " + Lease.key(h.subnet(), h.ipv6Subnet()) + " of " + attrs.holder() + " does not fit the"
                            + " network config (" + (pool == null ? "no IPv4" : "SubnetLen " + conf.subnetLen() + ", "
                            + conf.subnetMin() + " to " + conf.subnetMax())
                            + (conf.enableIPv6() ? "; IPv6 " + conf.ipv6SubnetMin() + " to " + conf.ipv6SubnetMax() : "; no IPv6")
                            + "); deleting it");
                    call(() -> {
                        etcd.delete(h.kv().key());
                        return null;
                    });
                    // IPv6 turned on or off: the IPv4 subnet, and so the pods' IPv4 addresses, stay when they can
                    if (pool != null && h.subnet() != null && pool.contains(h.subnet())) keepV4 = h.subnet();
                    continue;
                }
                boolean reservation = h.kv().lease() == 0;
                // Only while it is still ours: a concurrent agent with the same PublicIP would be a misconfiguration,
                // and this keeps the two from overwriting each other unseen.
                boolean written;
                try {
                    written = put(Lease.key(h.subnet(), h.ipv6Subnet()), lease -> etcd.replaceIfUnchanged(h.kv().key(), h.kv().modRevision(), attrs.toJson(), lease), reservation);
                } catch (SubnetException e) {
                    Lease kept = keepUnwritten(h, attrs, e);
                    store.start();
                    return kept;
                }
                if (written) {
                    LOG.info("reusing " + (reservation ? "reserved subnet " : "lease ") + Lease.key(h.subnet(), h.ipv6Subnet())
                            + " held by " + attrs.holder());
                    Lease l = hold(h.subnet(), h.ipv6Subnet(), attrs, reservation, false);
                    store.start();
                    return l;
                }
                continue;
            }
            Ipv4Cidr free = pool == null ? null : freeIpv4(conf, pool, keepV4, all.stored());
            Ipv6Cidr free6 = conf.enableIPv6() ? freeIpv6(conf, all.stored()) : null;
            String key = Lease.key(free, free6);
            if (put(key, lease -> etcd.createIfAbsent(subnetsPrefix() + key, attrs.toJson(), lease), false)) {
                LOG.info("acquired new lease " + key + " for " + attrs.holder());
                Lease l = hold(free, free6, attrs, false, true);
                store.start();
                return l;
            }
            LOG.fine(key + " was taken meanwhile; trying another free subnet");
        }
        throw new SubnetException("could not take a subnet in etcd after " + CREATE_ATTEMPTS + " attempts: every free one "
                + "was taken meanwhile by another node");
    }

    /**
     * The IPv4 subnet for a new lease: the one this node kept while IPv6 was turned on or off, else subnet.env's, else
     * one picked as flannel's allocateSubnet picks (at random among the first free).
     */
    private Ipv4Cidr freeIpv4(NetConf conf, SubnetPool pool, Ipv4Cidr keep, List<Stored> all) {
        List<Ipv4Cidr> taken = all.stream().map(Stored::subnet).filter(java.util.Objects::nonNull).toList();
        if (keep != null && taken.stream().noneMatch(x -> x.overlaps(keep))) return keep;
        Ipv4Cidr prev = previousIfFree(pool, all);
        if (prev != null) return prev;
        return pool.randomFree(taken, random).orElseThrow(() -> SubnetException.poolExhausted(conf, pool));
    }

    /** flannel's isSubnetConfigCompat, and no IPv4 subnet on an IPv6-only cluster ({@code pool} null). */
    private static boolean ipv4Fits(SubnetPool pool, Ipv4Cidr v4) {
        return pool == null ? v4 == null : v4 != null && pool.contains(v4);
    }

    /** flannel's isIPv6SubnetConfigCompat: an IPv6 subnet in the IPv6 pool with IPv6 on, none with it off. */
    private static boolean ipv6Fits(NetConf conf, Ipv6Cidr v6) {
        return conf.enableIPv6() ? v6 != null && new Ipv6SubnetPool(conf).contains(v6) : v6 == null;
    }

    /**
     * An IPv6 subnet no key holds: subnet.env's when it is free and fits, as flannel's tryAcquireLease takes its
     * previous IPv6 subnet, else one picked as flannel's allocateSubnet picks (at random among the first free).
     */
    private Ipv6Cidr freeIpv6(NetConf conf, List<Stored> all) {
        Ipv6SubnetPool pool6 = new Ipv6SubnetPool(conf);
        List<Ipv6Cidr> taken = all.stream().map(Stored::ipv6Subnet).filter(java.util.Objects::nonNull).toList();
        if (previousV6 != null && pool6.contains(previousV6) && taken.stream().noneMatch(previousV6::overlaps)) {
            LOG.info("taking subnet.env's IPv6 subnet " + previousV6 + " again");
            return previousV6;
        }
        return pool6.randomFree(taken, random).orElseThrow(() -> SubnetException.ipv6PoolExhausted(conf, pool6));
    }

    /**
     * etcd refused to write this node's lease at start (a read-only user, a full database): a restarted node keeps
     * the lease it holds, if it is readable, until etcd's lease on it runs out, and renews when etcd lets it.
     */
    private Lease keepUnwritten(Stored h, LeaseRecord attrs, SubnetException refused) {
        if (h.record() == null) throw refused;
        Duration left = h.kv().lease() == 0 ? RESERVED : timeToLive(h.kv().lease());
        if (left.isZero()) throw refused;
        LOG.warning(refused.getMessage() + "; keeping lease " + Lease.key(h.subnet(), h.ipv6Subnet()) + " as it is (" + left.toSeconds()
                + " s left) and renewing when etcd lets it");
        reserved = h.kv().lease() == 0;
        Lease l = new Lease(h.subnet(), attrs, clock.instant().plus(left), h.ipv6Subnet());
        own.held(l, false);
        return l;
    }

    private Duration timeToLive(long lease) {
        try {
            return Duration.ofSeconds(Math.max(0, etcd.timeToLive(lease)));
        } catch (IOException e) {
            return Duration.ZERO;
        }
    }

    /**
     * This node's own key when it is unreadable: the subnet its subnet.env names, whose key holds no record anyone can
     * read, is this node's (flannel's main.go keeps a node on the subnet of its subnet.env the same way).
     */
    private Optional<Stored> unreadablePrevious(NetConf conf, List<Stored> all) {
        // an IPv6-only node's subnet.env names only its IPv6 subnet, which is then its key
        io.weft.core.net.IpCidr prev = conf.enableIPv4() ? previous : previousV6;
        if (prev == null || (conf.enableIPv4() ? !new SubnetPool(conf).contains(previous) : !ipv6Fits(conf, previousV6))) {
            return Optional.empty();
        }
        Optional<Stored> s = all.stream().filter(x -> x.primary().equals(prev) && x.record() == null).findFirst();
        s.ifPresent(x -> LOG.info("lease " + prev + " in etcd is unreadable and subnet.env names it: this node's; "
                + "writing it again"));
        return s;
    }

    /** subnet.env's subnet when no key holds exactly it and it fits the config, as flannel's tryAcquireLease takes it. */
    private Ipv4Cidr previousIfFree(SubnetPool pool, List<Stored> all) {
        if (previous == null || all.stream().anyMatch(s -> previous.equals(s.subnet()))) return null;
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
    private boolean put(String subnet, LeasedWrite write, boolean reservation) {
        long lease = 0;
        boolean done = false;
        try {
            lease = reservation ? 0 : freshLease();
            long id = lease;
            done = call(() -> write.write(id));
            return done;
        } catch (SubnetException e) {
            if (!(e.getCause() instanceof EtcdClient.EtcdException)) throw e; // unreachable: said as it is
            throw new SubnetException("etcd refused to write lease " + subnet + " (" + e.getMessage() + "); give weftd's etcd "
                    + "user write access to " + subnetsPrefix() + " (etcdctl role grant-permission ROLE --prefix=true "
                    + "readwrite " + subnetsPrefix() + ")", e);
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
    public Lease renew(Lease lease) {
        Lease mine = own.lease();
        boolean reservation = reserved && mine != null && mine.primary().equals(lease.primary());
        put(lease.key(), id -> {
            etcd.put(subnetsPrefix() + lease.key(), lease.attrs().toJson(), id);
            return true;
        }, reservation);
        return hold(lease.subnet(), lease.ipv6Subnet(), lease.attrs(), reservation, false);
    }

    /** This node's key is gone or not its record: stored again (created only if absent, so a taker keeps it). */
    @Override
    protected Lease rewrite(Lease mine, boolean gone) {
        String key = subnetsPrefix() + mine.key();
        LeaseRecord attrs = mine.attrs();
        boolean reservation = reserved;
        boolean ok = put(mine.key(), lease -> {
            if (gone) return etcd.createIfAbsent(key, attrs.toJson(), lease);
            etcd.put(key, attrs.toJson(), lease);
            return true;
        }, reservation);
        if (!ok) throw new SubnetException("another node took subnet " + mine.describe() + " meanwhile");
        return hold(mine.subnet(), mine.ipv6Subnet(), attrs, reservation, own.isNew());
    }

    /** A new etcd lease of {@link #TTL} for this node's key. */
    private long freshLease() {
        return call(() -> etcd.grantLease(TTL.toSeconds()));
    }

    /** Records {@code subnet} as this node's, held for {@link #TTL} from now (a reservation: for good). */
    private Lease hold(Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet, LeaseRecord attrs, boolean reservation, boolean isNew) {
        reserved = reservation;
        Lease l = new Lease(subnet, attrs, clock.instant().plus(reservation ? RESERVED : TTL), ipv6Subnet);
        own.held(l, isNew);
        return l;
    }

    @Override
    public void release(Lease lease) {
        try {
            String key = subnetsPrefix() + lease.key();
            List<EtcdClient.Kv> kvs = etcd.get(key).kvs();
            if (!kvs.isEmpty() && lease.attrs().toJson().equals(kvs.get(0).value())) etcd.delete(key);
        } catch (IOException e) {
            LOG.warning("could not release lease " + lease.key() + " in " + this + ": " + e.getMessage());
        }
    }

    @Override
    protected void catchUp() throws IOException {
        store.start();
    }

    @Override
    public String connection() {
        return store.problem();
    }


    /** The watch from {@code fromRevision} without a first listing (a test starts one at a compacted revision). */
    void startWatch(long fromRevision) {
        store.start(fromRevision);
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
        store.close();
        etcd.close();
    }
}
