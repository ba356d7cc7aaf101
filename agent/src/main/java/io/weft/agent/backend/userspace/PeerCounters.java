package io.weft.agent.backend.userspace;

import io.weft.agent.backend.TrafficCounters;

/**
 * Packet and byte counters of one VXLAN peer (or of "unknown" senders), and its drops by reason. Each slot has a
 * single writer (receive slots: the event loop; transmit slots: the TAP reader), so it counts without atomics.
 */
public final class PeerCounters extends TrafficCounters {
    public PeerCounters(String peer) {
        super(peer, DropReason.values().length, false);
    }

    public void drop(DropReason r) {
        add(FIRST_EXTRA + r.ordinal(), 1);
    }

    public long drops(DropReason r) {
        return get(FIRST_EXTRA + r.ordinal());
    }
}
