package io.weft.agent.backend.userspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packet and byte counters of one peer (or of "unknown" senders). Each slot has a single writer (receive
 * slots: the event loop; transmit slots: the TAP reader), so an opaque store of load+n is enough and costs
 * no lock or CAS per packet; readers (the /metrics scrape) see a recent value.
 */
public final class PeerCounters {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int RX_PACKETS = 0;
    private static final int RX_BYTES = 1;
    private static final int TX_PACKETS = 2;
    private static final int TX_BYTES = 3;
    private static final int DROPS = 4;

    private final String peer;
    private final long[] slots = new long[DROPS + DropReason.values().length];

    public PeerCounters(String peer) {
        this.peer = peer;
    }

    public String peer() {
        return peer;
    }

    private void add(int i, long n) {
        SLOT.setOpaque(slots, i, (long) SLOT.getOpaque(slots, i) + n);
    }

    private long get(int i) {
        return (long) SLOT.getOpaque(slots, i);
    }

    public void rx(long bytes) {
        add(RX_PACKETS, 1);
        add(RX_BYTES, bytes);
    }

    public void tx(long packets, long bytes) {
        add(TX_PACKETS, packets);
        add(TX_BYTES, bytes);
    }

    public void drop(DropReason r) {
        add(DROPS + r.ordinal(), 1);
    }

    public long rxPackets() {
        return get(RX_PACKETS);
    }

    public long rxBytes() {
        return get(RX_BYTES);
    }

    public long txPackets() {
        return get(TX_PACKETS);
    }

    public long txBytes() {
        return get(TX_BYTES);
    }

    public long drops(DropReason r) {
        return get(DROPS + r.ordinal());
    }
}
