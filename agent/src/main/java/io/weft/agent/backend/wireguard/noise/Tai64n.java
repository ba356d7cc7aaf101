package io.weft.agent.backend.wireguard.noise;

import java.time.Instant;
import java.util.Arrays;

/**
 * TAI64N timestamps as the handshake initiation carries them: 8 bytes of seconds since 1970 plus 2^62 + 10,
 * 4 bytes of nanoseconds, big-endian. A responder accepts an initiation only with a timestamp later than the last
 * one it took from that peer, which defeats replayed initiations. The nanoseconds are rounded down to a multiple
 * of 2^24 (~16.8 ms), as wireguard-go does, so the timestamp does not reveal the sender's clock precisely.
 */
public final class Tai64n {
    private static final long BASE = 0x400000000000000aL;
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {}

    public static byte[] now() {
        return of(Instant.now());
    }

    public static byte[] of(Instant t) {
        byte[] out = new byte[Protocol.TIMESTAMP_LENGTH];
        long secs = BASE + t.getEpochSecond();
        int nanos = t.getNano() & ~WHITENER_MASK;
        for (int i = 0; i < 8; i++) out[i] = (byte) (secs >>> (56 - 8 * i));
        for (int i = 0; i < 4; i++) out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        return out;
    }

    /** Whether {@code a} is strictly later than {@code b}. */
    public static boolean after(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) > 0;
    }
}
