package io.weft.agent.backend.wireguard.noise;

/**
 * The sliding window of received transport counters (RFC 6479, as WireGuard uses it): a bitmap of 8192 bits, of
 * which the newest word slides forward with the highest counter seen, so a counter is accepted once, in any order,
 * while it is no more than {@link #WINDOW} behind the highest. Checked after a packet authenticated, never before,
 * so forged packets cannot move it. Not thread safe: the receive loop owns it.
 */
public final class ReplayWindow {
    private static final int WORD_BITS = 64;
    private static final int BITS_TOTAL = 8192;
    private static final int WORDS = BITS_TOTAL / WORD_BITS;
    /** How far behind the highest counter a late packet is still accepted: 8128. */
    public static final long WINDOW = BITS_TOTAL - WORD_BITS;

    private final long[] bits = new long[WORDS];
    private long highest; // unsigned

    public void reset() {
        highest = 0;
        java.util.Arrays.fill(bits, 0);
    }

    /**
     * Records {@code counter} and returns true if it is new; false if it was seen, is too old, or is not below
     * {@code limit} (all compared unsigned).
     */
    public boolean accept(long counter, long limit) {
        if (Long.compareUnsigned(counter, limit) >= 0) return false;
        long word = counter >>> 6;
        if (Long.compareUnsigned(counter, highest) > 0) {
            long current = highest >>> 6;
            long diff = Math.min(word - current, WORDS); // words are below 2^58: no sign trouble
            for (long i = 1; i <= diff; i++) bits[(int) ((current + i) & (WORDS - 1))] = 0;
            highest = counter;
        } else if (Long.compareUnsigned(highest - counter, WINDOW) > 0) {
            return false;
        }
        int index = (int) (word & (WORDS - 1));
        long bit = 1L << (counter & (WORD_BITS - 1));
        long old = bits[index];
        bits[index] = old | bit;
        return (old & bit) == 0;
    }
}
