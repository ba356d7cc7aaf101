package io.weft.agent;

import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Gives the heap back after a burst of peer changes, and whenever the heap has grown well past what the last
 * collection left. The launcher runs the agent on SerialGC with a small starting heap that keeps 10-30 % free and a
 * young generation of at most 4 MiB, but SerialGC resizes the heap only in a full collection, which an agent at rest
 * never has: objects that outlive a few young collections (a burst of thousands of leases, a round's read of thousands
 * of kernel entries, an informer's list of thousands of Nodes) are moved to the old generation, which grows for them
 * instead of being collected, and its pages stay resident with a live set a fraction of it (an agent with 5000 Node
 * peers: 76 MiB of old generation around 20 MiB live). G1 has a periodic collection for this (G1PeriodicGCInterval);
 * SerialGC has none, so the agent asks for one itself: once a burst of at least {@link #BURST} added or removed kernel
 * entries has been quiet for {@link #QUIET_NANOS}, and when the committed heap is {@link #GROWTH} bytes above what the
 * last collection left. With the live set of 5000 peers (~15-20 MiB) the collection takes some tens of milliseconds
 * on the agent's loop, between rounds; the kernel datapath does not notice it, the userspace datapath's event loops
 * pause as briefly.
 */
final class HeapTrim {
    private static final Logger LOG = Logger.getLogger(HeapTrim.class.getName());
    static final int BURST = 1000;
    static final long QUIET_NANOS = 10_000_000_000L;
    static final long GROWTH = 8L << 20;

    private final boolean onGrowth;
    private final LongSupplier clock;
    private final LongSupplier committed;
    private final Runnable collect;
    private long pending; // entries changed since the last collection
    private long lastChange;
    private long base = Long.MAX_VALUE; // the least committed heap seen since the last collection

    /**
     * {@code onGrowth}: also collect when the heap has grown. Not on a userspace datapath: under load its heap grows
     * and shrinks with the traffic, and a full collection each time would pause its event loops; its young
     * generation is the JVM's own size, which the garbage of a round rarely outlives.
     */
    HeapTrim(boolean onGrowth) {
        this(onGrowth, System::nanoTime, () -> Runtime.getRuntime().totalMemory(), System::gc);
    }

    HeapTrim(boolean onGrowth, LongSupplier clock, LongSupplier committed, Runnable collect) {
        this.onGrowth = onGrowth;
        this.clock = clock;
        this.committed = committed;
        this.collect = collect;
    }

    /** A round added or removed {@code entries} kernel entries. */
    synchronized void changed(int entries) {
        if (entries <= 0) return;
        pending += entries;
        lastChange = clock.getAsLong();
    }

    /** When (System.nanoTime()) a burst's collection is due; Long.MAX_VALUE while no burst is pending. */
    synchronized long dueAt() {
        return pending < BURST ? Long.MAX_VALUE : lastChange + QUIET_NANOS;
    }

    /**
     * Collects once a burst has been quiet long enough ({@link #dueAt()} says when), or (onGrowth) the heap has grown
     * {@link #GROWTH} past the least it was since the last collection, which is seen at the poll after the loop's
     * next round.
     */
    synchronized void poll() {
        long heap = committed.getAsLong();
        base = Math.min(base, heap); // the JVM's own full collections give back too
        String why;
        if (pending >= BURST) {
            if (clock.getAsLong() - dueAt() < 0) return;
            why = "a burst of " + pending + " kernel entries";
        } else if (onGrowth && heap - base >= GROWTH) {
            why = "the heap grew from " + (base >> 20) + " to " + (heap >> 20) + " MiB";
        } else {
            return;
        }
        pending = 0;
        long t0 = clock.getAsLong();
        collect.run();
        base = committed.getAsLong();
        LOG.fine(() -> "returned the heap after " + why + ": full collection in " + (clock.getAsLong() - t0) / 1_000_000
                + " ms, " + (base >> 20) + " MiB committed");
    }
}
