package io.weft.agent;

import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Gives the heap back after a burst of peer changes. The launcher runs the agent on SerialGC with a small starting
 * heap that keeps 10-30 % free, but SerialGC resizes the heap only in a full collection, which an agent at rest never
 * has: a burst of thousands of leases (a cluster's nodes joining at once) grows the heap to its cap for short-lived
 * objects and leaves it there, resident, with a live set a fraction of it. G1 has a periodic collection for this
 * (G1PeriodicGCInterval); SerialGC has none, so the agent asks for one itself, once, when a burst of at least
 * {@link #BURST} added or removed kernel entries has been quiet for {@link #QUIET_NANOS}. With the live set of 5000
 * peers (~20 MiB) the collection takes some tens of milliseconds on the agent's loop, between rounds; the kernel
 * datapath does not notice it, the userspace datapath's event loops pause as briefly.
 */
final class HeapTrim {
    private static final Logger LOG = Logger.getLogger(HeapTrim.class.getName());
    static final int BURST = 1000;
    static final long QUIET_NANOS = 10_000_000_000L;

    private final LongSupplier clock;
    private final Runnable collect;
    private long pending; // entries changed since the last collection
    private long lastChange;

    HeapTrim() {
        this(System::nanoTime, System::gc);
    }

    HeapTrim(LongSupplier clock, Runnable collect) {
        this.clock = clock;
        this.collect = collect;
    }

    /** A round added or removed {@code entries} kernel entries. */
    synchronized void changed(int entries) {
        if (entries <= 0) return;
        pending += entries;
        lastChange = clock.getAsLong();
    }

    /** When (System.nanoTime()) a collection is due; Long.MAX_VALUE while no burst is pending. */
    synchronized long dueAt() {
        return pending < BURST ? Long.MAX_VALUE : lastChange + QUIET_NANOS;
    }

    /** Collects once a burst has been quiet long enough; returns the nanoseconds until it would (Long.MAX_VALUE: none due). */
    synchronized long poll() {
        if (pending < BURST) return Long.MAX_VALUE;
        long wait = lastChange + QUIET_NANOS - clock.getAsLong();
        if (wait > 0) return wait;
        long entries = pending;
        pending = 0;
        long t0 = clock.getAsLong();
        collect.run();
        LOG.fine(() -> "returned the heap after a burst of " + entries + " kernel entries: full collection in "
                + (clock.getAsLong() - t0) / 1_000_000 + " ms");
        return Long.MAX_VALUE;
    }
}
