package io.weft.agent.subnet;

import io.weft.core.net.IpCidr;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * What a store's agent knows of every subnet's lease, kept up to date from the store's watch, one change at a time,
 * so that a round of the agent costs nothing in the store. A record that turns unreadable (a truncated lease file, a
 * malformed etcd value or node annotation) does not withdraw the node: its last good record stays until that lease
 * would have expired, as flannel's watch skips an event it cannot parse (pkg/subnet/etcd/registry.go watchSubnets,
 * parseSubnetWatchResponse) and so keeps what it programmed. A subnet seen only unreadable stays taken. Each change of
 * a subnet's problem is logged once, never per round.
 */
public final class LeaseBook {
    private static final Logger LOG = Logger.getLogger(LeaseBook.class.getName());

    /**
     * One subnet as the agent sees it (the lease's {@link Lease#primary()} subnet: the IPv4 one, the IPv6 one on an
     * IPv6-only cluster): its last good lease (null if it was never readable), and the store's current
     * problem with it (null while its record reads well) since when.
     */
    public record Entry(IpCidr subnet, Lease lastGood, String problem, Instant problemSince) {
        /** Whether the agent keeps the lease's routes on its last good record, the current one being unreadable. */
        public boolean kept() {
            return lastGood != null && problem != null;
        }
    }

    private final String store;
    private final Clock clock;
    private final ChangeSignal changed;
    private final Map<IpCidr, Entry> entries = new HashMap<>(); // guarded by this
    private long version; // guarded by this

    /** @param store the store, as log lines name it ("lease directory /x", "etcd at http://...") */
    public LeaseBook(String store, Clock clock, ChangeSignal changed) {
        this.store = store;
        this.clock = clock;
        this.changed = changed;
    }

    /** A record read well. */
    public void put(Lease lease) {
        synchronized (this) {
            Entry before = entries.get(lease.primary());
            if (before != null && before.problem == null && lease.equals(before.lastGood)) return;
            if (before != null && before.problem != null) {
                LOG.info("lease " + lease.primary() + " in " + store + " reads well again (" + lease.attrs().holder() + ")");
            }
            entries.put(lease.primary(), new Entry(lease.primary(), lease, null, null));
            version++;
        }
        changed.signal();
    }

    /** A record that cannot be read: the last good one stays until its expiry; the subnet stays taken either way. */
    public void unreadable(IpCidr subnet, String problem) {
        synchronized (this) {
            Entry before = entries.get(subnet);
            if (before != null && problem.equals(before.problem)) return;
            Lease good = before == null ? null : before.lastGood;
            Instant since = before != null && before.problem != null ? before.problemSince : clock.instant();
            if (good != null && good.expiration().isAfter(clock.instant())) {
                LOG.warning("lease " + subnet + " in " + store + " is unreadable (" + problem + "); keeping its last good "
                        + "record (" + good.attrs().holder() + ") until " + good.expiration());
            } else {
                good = null;
                LOG.warning("ignoring lease " + subnet + " in " + store + ": " + problem + "; its subnet stays taken");
            }
            entries.put(subnet, new Entry(subnet, good, problem, since));
            version++;
        }
        changed.signal();
    }

    /** The subnet's record is gone from the store (released, expired, its Node deleted). */
    public void remove(IpCidr subnet) {
        synchronized (this) {
            if (entries.remove(subnet) == null) return;
            version++;
        }
        changed.signal();
    }

    /** After a full listing: subnets the listing did not hold are gone. */
    public void retainOnly(Collection<IpCidr> present) {
        Set<IpCidr> keep = new HashSet<>(present);
        List<IpCidr> gone;
        synchronized (this) {
            gone = entries.keySet().stream().filter(s -> !keep.contains(s)).toList();
        }
        gone.forEach(this::remove);
    }

    /**
     * Every unexpired lease: the current record, or the last good one of an unreadable record. A kept record that
     * has run out is dropped here, logged once.
     */
    public synchronized List<Lease> leases() {
        Instant now = clock.instant();
        List<Lease> out = new ArrayList<>(entries.size());
        for (Map.Entry<IpCidr, Entry> e : entries.entrySet()) {
            Entry x = e.getValue();
            if (x.lastGood == null) continue;
            if (!x.lastGood.expiration().isAfter(now)) {
                if (x.problem != null) {
                    LOG.warning("lease " + x.subnet + " in " + store + " is still unreadable and its last good record "
                            + "expired at " + x.lastGood.expiration() + "; its routes go");
                    e.setValue(new Entry(x.subnet, null, x.problem, x.problemSince));
                    version++;
                }
                continue;
            }
            out.add(x.lastGood);
        }
        return out;
    }

    /** Every subnet the store holds a record for, readable or not: none of them may be handed out. */
    public synchronized Set<IpCidr> taken() {
        return new HashSet<>(entries.keySet());
    }

    public synchronized Optional<Entry> get(IpCidr subnet) {
        return Optional.ofNullable(entries.get(subnet));
    }

    /** Every entry, for status pages: healthy ones, kept ones, unreadable ones. */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>(entries.values());
        out.sort(java.util.Comparator.comparing(Entry::subnet, Lease.ORDER));
        return out;
    }

    /** Grows with every change, so a caller can tell whether anything changed since it last looked. */
    public synchronized long version() {
        return version;
    }

    public synchronized int size() {
        return entries.size();
    }

    @Override
    public String toString() {
        return store;
    }
}
