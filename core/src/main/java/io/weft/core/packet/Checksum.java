package io.weft.core.packet;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.ValueLayout;

/**
 * The Internet checksum (RFC 1071) over buffer regions.
 *
 * <p>It is on the hot path twice per byte of the userspace datapath (segmenting on send, verifying before
 * coalescing on receive), so it reads native-order 8-byte words straight from the buffer's memory and adds
 * their two 32-bit halves into two accumulators: the one's-complement sum does not care about word size or
 * byte order (RFC 1071 §2), so the little-endian result is folded to 16 bits and byte-swapped once at the end.
 * Measured ~4x faster than adding four big-endian 16-bit words per {@code ByteBuf.getLong} (4 GB/s).
 */
public final class Checksum {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long LOW32 = 0xffffffffL;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    private Checksum() {}

    /** Adds the 16-bit big-endian words of {@code [off, off+len)} to {@code initial}; an odd last byte is padded. */
    public static long sum(ByteBuf b, int off, int len, long initial) {
        // Direct buffers only: a heap buffer reaching wordSum too would make its profile bimorphic and the loop
        // slower; the datapath's buffers are all direct.
        if (!DirectBufferMemory.addressable(b)) return sumShorts(b, off, len, initial);
        return sumAt(DirectBufferMemory.address(b, off, len), len, initial);
    }

    /**
     * {@link #sum} over the {@code len} bytes at a native address that {@link DirectBufferMemory#address} has
     * checked: for callers that parse a frame by address.
     */
    public static long sumAt(long address, int len, long initial) {
        int words = len & ~15;
        long s = initial;
        if (words > 0) {
            long w = wordSum(address, words);
            s += LITTLE_ENDIAN ? Short.toUnsignedInt(Short.reverseBytes((short) foldNoComplement(w))) : w;
        }
        int i = words;
        for (; len - i >= 2; i += 2) s += DirectBufferMemory.u16(address + i);
        if (i < len) s += DirectBufferMemory.u8(address + i) << 8;
        return s;
    }

    /**
     * Sum of the 32-bit halves of the native-order words at {@code [address, address+len)}, len a multiple of 16,
     * read through the all-memory segment (no segment object per call, which a segment per buffer region was:
     * see {@link DirectBufferMemory}). A long index and a loop of its own let C2 hoist the bounds checks: ~16 GB/s
     * here, against ~5 GB/s for the same loop inlined with an int index (both measured over a segment per region).
     */
    private static long wordSum(long address, long len) {
        long s0 = 0;
        long s1 = 0;
        for (long i = 0; i < len; i += 16) {
            long w0 = DirectBufferMemory.ALL.get(WORD, address + i);
            long w1 = DirectBufferMemory.ALL.get(WORD, address + i + 8);
            s0 += (w0 >>> 32) + (w0 & LOW32);
            s1 += (w1 >>> 32) + (w1 & LOW32);
        }
        return s0 + s1;
    }

    private static long sumShorts(ByteBuf b, int off, int len, long s) {
        int i = off;
        int end = off + len;
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
