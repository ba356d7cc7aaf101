package io.weft.core.vxlan;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;

/**
 * The native memory behind direct {@link ByteBuf}s, read and copied by address without allocating.
 *
 * <p>Why: on Java 25 Netty runs without {@code sun.misc.Unsafe}, and then a ByteBuf-to-ByteBuf copy and every
 * {@code internalNioBuffer} of a freshly allocated or sliced pooled buffer make new ByteBuffer (and, wrapped in
 * a segment, MemorySegment) objects: two per segment copied, one per checksum. JFR put the userspace datapath's
 * allocation at ~110 MB/s per agent at 3.5 Gb/s, nearly all of it from there, against the "no allocation
 * per packet". Netty's buffers still know their address, so one segment spanning all memory, indexed by absolute
 * address, reaches them with no object per access; every access is checked against the ByteBuf's own bounds
 * first, so that segment never reads or writes outside a buffer.
 */
public final class DirectBufferMemory {
    /** All of the address space: a global segment, so there is no liveness check per access either. */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private DirectBufferMemory() {}

    /** Whether {@link #address} and {@link #copy} work for this buffer (direct, with a known address). */
    public static boolean addressable(ByteBuf b) {
        return b.hasMemoryAddress();
    }

    /** The native address of {@code b[index]} after checking that {@code [index, index+length)} is inside it. */
    public static long address(ByteBuf b, int index, int length) {
        if (index < 0 || length < 0 || index > b.capacity() - length) {
            throw new IndexOutOfBoundsException("index " + index + " length " + length + " capacity " + b.capacity());
        }
        return b.memoryAddress() + index;
    }

    /**
     * Copies {@code length} bytes from {@code src[srcIndex]} to {@code dst[dstIndex]} (indices, not reader or
     * writer positions, as {@link ByteBuf#setBytes(int, ByteBuf, int, int)}); by address when both are
     * addressable, through Netty otherwise.
     */
    public static void copy(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length) {
        if (length == 0) return;
        if (addressable(src) && addressable(dst)) {
            MemorySegment.copy(ALL, address(src, srcIndex, length), ALL, address(dst, dstIndex, length), length);
        } else {
            dst.setBytes(dstIndex, src, srcIndex, length);
        }
    }
}
