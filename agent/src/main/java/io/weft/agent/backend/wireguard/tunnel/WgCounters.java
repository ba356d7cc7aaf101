package io.weft.agent.backend.wireguard.tunnel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counters of one peer (or of senders that are no peer): packets and bytes each way, completed handshakes, the last
 * handshake's time, drops by reason. Both the event loop and the handshake thread count, so slots are added to
 * atomically (uncontended: a few nanoseconds). Never holds a key.
 */
public final class WgCounters {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int RX_PACKETS = 0;
    private static final int RX_BYTES = 1;
    private static final int TX_PACKETS = 2;
    private static final int TX_BYTES = 3;
    private static final int HANDSHAKES = 4;
    private static final int LAST_HANDSHAKE_MS = 5;
    private static final int KEEPALIVES_RX = 6;
    private static final int DROPS = 7;

    private final String peer;
    private final long[] slots = new long[DROPS + WgDrop.values().length];

    public WgCounters(String peer) {
        this.peer = peer;
    }

    public String peer() {
        return peer;
    }

    private void add(int i, long n) {
        SLOT.getAndAdd(slots, i, n);
    }

    private long get(int i) {
        return (long) SLOT.getOpaque(slots, i);
    }

    void rx(long bytes) {
        add(RX_PACKETS, 1);
        add(RX_BYTES, bytes);
    }

    void keepaliveReceived() {
        add(KEEPALIVES_RX, 1);
    }

    void tx(long packets, long bytes) {
        add(TX_PACKETS, packets);
        add(TX_BYTES, bytes);
    }

    void handshakeCompleted(long epochMillis) {
        add(HANDSHAKES, 1);
        SLOT.setOpaque(slots, LAST_HANDSHAKE_MS, epochMillis);
    }

    public void drop(WgDrop reason) {
        add(DROPS + reason.ordinal(), 1);
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

    public long handshakes() {
        return get(HANDSHAKES);
    }

    /** Epoch milliseconds of the last completed handshake, 0 before the first. */
    public long lastHandshakeMillis() {
        return get(LAST_HANDSHAKE_MS);
    }

    public long keepalivesReceived() {
        return get(KEEPALIVES_RX);
    }

    public long drops(WgDrop reason) {
        return get(DROPS + reason.ordinal());
    }
}
