package io.weft.agent.backend.wireguard.tunnel;

/**
 * The five per-peer timers of WireGuard (whitepaper §6; wireguard-go device/timers.go), as deadlines the event loop
 * checks on each tick instead of one scheduled task each: retransmit an unanswered initiation, send a keepalive
 * after receiving data we did not answer, start a handshake when what we sent got no answer, zero the keys after
 * three REJECT_AFTER_TIMEs without a new session, and the optional persistent keepalive.
 */
final class PeerTimers {
    static final int RETRANSMIT_HANDSHAKE = 0;
    static final int SEND_KEEPALIVE = 1;
    static final int NEW_HANDSHAKE = 2;
    static final int ZERO_KEY_MATERIAL = 3;
    static final int PERSISTENT_KEEPALIVE = 4;
    private static final int COUNT = 5;

    private final long[] at = new long[COUNT];
    private final boolean[] armed = new boolean[COUNT];
    int handshakeAttempts;
    boolean sentLastMinuteHandshake;
    boolean needAnotherKeepalive;
    /** When we last asked the handshake thread for an initiation (rate limit: one per REKEY_TIMEOUT). */
    long lastInitiationRequested;
    boolean initiationRequestedOnce;

    void arm(int timer, long deadline) {
        at[timer] = deadline;
        armed[timer] = true;
    }

    void disarm(int timer) {
        armed[timer] = false;
    }

    boolean pending(int timer) {
        return armed[timer];
    }

    /** Whether {@code timer} was armed and its deadline has passed; it is disarmed then. */
    boolean fire(int timer, long now) {
        if (!armed[timer] || now - at[timer] < 0) return false;
        armed[timer] = false;
        return true;
    }

    void disarmAll() {
        java.util.Arrays.fill(armed, false);
    }
}
