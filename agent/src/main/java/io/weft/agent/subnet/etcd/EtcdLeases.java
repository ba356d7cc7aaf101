package io.weft.agent.subnet.etcd;

import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.LeaseBook;
import io.weft.agent.subnet.SubnetKey;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The keys under {@code <prefix>/subnets/}: listed once into the {@link LeaseBook}, then kept there by one watch
 * thread that applies each event as it comes (one key's parse, not a listing per change). When etcd goes away the
 * watch resumes from the next revision it has not seen, as flannel's registry watchSubnets does, so nothing is
 * withdrawn while etcd is down and the agent catches up when it is back; only a compacted history lists again.
 */
final class EtcdLeases implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EtcdLeases.class.getName());

    /**
     * A key under subnets/, its subnets (the IPv6 one of a dual-stack key, flannel's "10.244.1.0-24&fd00::-64", else
     * null), and its record (null if unreadable: its subnets are still taken).
     */
    record Stored(EtcdClient.Kv kv, Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet, LeaseRecord record, String problem) {}

    /** Every key under subnets/, and the store's revision at the time. */
    record Listing(List<Stored> stored, long revision) {}

    private final EtcdClient etcd;
    private final String prefix;
    private final LeaseBook book;
    private final Clock clock;
    private final Set<String> notLeases = ConcurrentHashMap.newKeySet();
    private volatile Thread watcher;
    private volatile long resumeAt; // the next revision the watch has not seen; 0: list again
    private volatile String problem;
    private volatile boolean closed;

    EtcdLeases(EtcdClient etcd, String subnetsPrefix, LeaseBook book, Clock clock) {
        this.etcd = etcd;
        this.prefix = subnetsPrefix;
        this.book = book;
        this.clock = clock;
    }

    Listing list() throws IOException {
        EtcdClient.Range range = etcd.getPrefix(prefix);
        List<Stored> out = new ArrayList<>();
        for (EtcdClient.Kv kv : range.kvs()) {
            Stored s = parse(kv);
            if (s != null) out.add(s);
        }
        return new Listing(out, range.revision());
    }

    /** A key's subnet and record or problem; null for a key that is no lease at all (logged once). */
    private Stored parse(EtcdClient.Kv kv) {
        String name = kv.key().substring(prefix.length());
        SubnetKey key = key(name);
        if (key == null) {
            if (notLeases.add(kv.key())) LOG.warning("ignoring " + kv.key() + " in etcd: not a subnet lease name");
            return null;
        }
        try {
            return new Stored(kv, key.subnet(), key.ipv6Subnet(), LeaseRecord.parse(kv.value()), null);
        } catch (IllegalArgumentException e) {
            return new Stored(kv, key.subnet(), key.ipv6Subnet(), null, kv.value().isEmpty() ? "the value is empty" : e.getMessage());
        }
    }

    /** A key flannel's ParseSubnetKey reads (an IPv4 subnet, maybe with an IPv6 one), or null. */
    private static SubnetKey key(String name) {
        try {
            SubnetKey k = SubnetKey.parse(name);
            return k.subnet() == null ? null : k; // flannel's etcd store has no IPv6-only key
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** One key as the watch or a listing reports it, into the book. */
    private void record(Stored s) {
        // etcd removes a key whose lease ran out, and the watch says so; until then a day is the upper bound
        if (s.record != null) book.put(new Lease(s.subnet, s.record, clock.instant().plus(EtcdSubnetManager.TTL), s.ipv6Subnet));
        else book.unreadable(s.subnet, s.problem);
    }

    private void apply(Listing l) {
        l.stored.forEach(this::record);
        book.retainOnly(l.stored.stream().map(Stored::subnet).toList());
    }

    private void apply(List<EtcdClient.WatchEvent> events) {
        for (EtcdClient.WatchEvent e : events) {
            resumeAt = Math.max(resumeAt, e.modRevision() + 1);
            if (!e.key().startsWith(prefix)) continue;
            if (e.deleted()) {
                SubnetKey k = key(e.key().substring(prefix.length()));
                if (k != null) book.remove(k.subnet()); // else its put was ignored too
            } else {
                Stored s = parse(new EtcdClient.Kv(e.key(), e.value(), e.modRevision(), 0));
                if (s != null) record(s);
            }
        }
    }

    /** The first listing, on the calling thread so the first round sees every lease; then the watch thread. */
    synchronized void start() {
        if (watcher != null || closed) return;
        Listing l;
        try {
            l = list();
        } catch (IOException e) {
            throw new io.weft.agent.subnet.SubnetException(e.getMessage(), e);
        }
        apply(l);
        start(l.revision() + 1);
    }

    /** The watch from {@code fromRevision} on, without a first listing (0: list first). */
    synchronized void start(long fromRevision) {
        if (watcher != null || closed) return;
        resumeAt = fromRevision;
        Thread t = new Thread(this::watchLoop, "weft-etcd-watch");
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    private void watchLoop() {
        long backoff = 250;
        while (!closed) {
            try {
                if (resumeAt == 0) {
                    Listing l = list();
                    apply(l);
                    resumeAt = l.revision() + 1;
                }
                etcd.watchPrefix(prefix, resumeAt, this::apply, this::opened);
                backoff = 250;
                continue; // the stream ended (etcd restarted): resume at once from where it stopped
            } catch (InterruptedException e) {
                return;
            } catch (EtcdClient.CompactedException e) {
                // flannel's registry watchSubnets: "etcd index outside history window", then leasesWatchReset
                LOG.warning("etcd watch: " + e.getMessage() + "; listing the leases again and watching from there");
                resumeAt = 0;
                continue;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                lost(e.getMessage());
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 2_000);
        }
    }

    private void opened() {
        if (problem != null) LOG.info("etcd is back: watching " + prefix + " again from revision " + resumeAt);
        problem = null;
    }

    private void lost(String why) {
        String p = "etcd watch lost (" + why + "); every route stays as it is while the agent reconnects";
        if (problem == null) LOG.warning(p);
        problem = p;
    }

    /** Why the watch is down, or null while it is up. */
    String problem() {
        return problem;
    }

    @Override
    public void close() {
        closed = true;
        Thread t = watcher;
        if (t != null) t.interrupt();
    }
}
