package io.weft.core.vxlan;

import io.netty.buffer.ByteBuf;

/** The Internet checksum (RFC 1071) over buffer regions, eight bytes at a time. */
public final class Checksum {
    private Checksum() {}

    /** Adds the 16-bit big-endian words of {@code [off, off+len)} to {@code initial}; an odd last byte is padded. */
    public static long sum(ByteBuf b, int off, int len, long initial) {
        long s = initial;
        int i = off;
        int end = off + len;
        while (end - i >= 8) {
            long w = b.getLong(i);
            s += (w >>> 48) + ((w >>> 32) & 0xffff) + ((w >>> 16) & 0xffff) + (w & 0xffff);
            i += 8;
        }
        while (end - i >= 2) {
            s += b.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) s += (b.getUnsignedByte(i) << 8);
        return s;
    }

    /** Folds a sum to 16 bits and complements it. */
    public static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) (~s & 0xffff);
    }

    /** Folds without complementing (a partial sum to store for checksum offload). */
    public static int foldNoComplement(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }
}
