package io.weft.agent.backend.wireguard.tunnel;

import io.weft.agent.backend.TrafficCounters;

/**
 * Counters of one WireGuard peer (or of senders that are no peer): packets and bytes each way, completed handshakes,
 * the last handshake's time, keepalives received, drops by reason. Both the event loop and the handshake thread
 * count, so slots are added to atomically. Never holds a key.
 */
public final class WgCounters extends TrafficCounters {
    private static final int HANDSHAKES = FIRST_EXTRA;
    private static final int LAST_HANDSHAKE_MS = FIRST_EXTRA + 1;
    private static final int KEEPALIVES_RX = FIRST_EXTRA + 2;
    private static final int DROPS = FIRST_EXTRA + 3;

    public WgCounters(String peer) {
        super(peer, 3 + WgDrop.values().length, true);
    }

    void keepaliveReceived() {
        add(KEEPALIVES_RX, 1);
    }

    void handshakeCompleted(long epochMillis) {
        add(HANDSHAKES, 1);
        set(LAST_HANDSHAKE_MS, epochMillis);
    }

    public void drop(WgDrop reason) {
        add(DROPS + reason.ordinal(), 1);
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
