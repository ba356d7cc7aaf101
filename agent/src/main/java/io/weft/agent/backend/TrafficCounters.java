package io.weft.agent.backend;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packets and bytes each way for one peer of a userspace datapath (or for senders that are no peer), plus the slots
 * a backend adds after them. A datapath whose every slot has a single writer counts with opaque stores of load+n
 * (no lock or CAS per packet); one with two writers per slot counts atomically (uncontended: a few nanoseconds).
 * Readers (the /metrics scrape, status) see a recent value.
 */
public abstract class TrafficCounters {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int RX_PACKETS = 0;
    private static final int RX_BYTES = 1;
    private static final int TX_PACKETS = 2;
    private static final int TX_BYTES = 3;
    /** The first slot a subclass may use. */
    protected static final int FIRST_EXTRA = 4;

    private final String peer;
    private final long[] slots;
    private final boolean atomic;

    protected TrafficCounters(String peer, int extraSlots, boolean atomic) {
        this.peer = peer;
        this.slots = new long[FIRST_EXTRA + extraSlots];
        this.atomic = atomic;
    }

    public final String peer() {
        return peer;
    }

    protected final void add(int i, long n) {
        if (atomic) SLOT.getAndAdd(slots, i, n);
        else SLOT.setOpaque(slots, i, (long) SLOT.getOpaque(slots, i) + n);
    }

    protected final void set(int i, long v) {
        SLOT.setOpaque(slots, i, v);
    }

    protected final long get(int i) {
        return (long) SLOT.getOpaque(slots, i);
    }

    public final void rx(long bytes) {
        add(RX_PACKETS, 1);
        add(RX_BYTES, bytes);
    }

    public final void tx(long packets, long bytes) {
        add(TX_PACKETS, packets);
        add(TX_BYTES, bytes);
    }

    public final long rxPackets() {
        return get(RX_PACKETS);
    }

    public final long rxBytes() {
        return get(RX_BYTES);
    }

    public final long txPackets() {
        return get(TX_PACKETS);
    }

    public final long txBytes() {
        return get(TX_BYTES);
    }
}
