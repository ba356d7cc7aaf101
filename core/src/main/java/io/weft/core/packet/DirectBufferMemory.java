package io.weft.core.packet;

import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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

    private static final ValueLayout.OfShort NET16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

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

    /** Copies {@code length} bytes from {@code src[srcIndex]} (an addressable buffer, or any through Netty) into an array. */
    public static void copyToArray(ByteBuf src, int srcIndex, byte[] dst, int dstOff, int length) {
        if (length == 0) return;
        if (addressable(src)) {
            MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, address(src, srcIndex, length), dst, dstOff, length);
        } else {
            src.getBytes(srcIndex, dst, dstOff, length);
        }
    }

    /** Copies {@code length} bytes of an array into {@code dst[dstIndex]} (an index, not the writer position). */
    public static void copyFromArray(byte[] src, int srcOff, ByteBuf dst, int dstIndex, int length) {
        if (length == 0) return;
        if (addressable(dst)) {
            MemorySegment.copy(src, srcOff, ALL, ValueLayout.JAVA_BYTE, address(dst, dstIndex, length), length);
        } else {
            dst.setBytes(dstIndex, src, srcOff, length);
        }
    }

    // Reads by absolute address, for parsers that check a whole header once with address() and then read its
    // fields without a bounds check each (Netty's accessors cost ~10 ns per field through a sliced buffer).
    // They read only inside the range that call checked: these methods cannot check it.

    /** The unsigned byte at {@code address}. */
    public static int u8(long address) {
        return Byte.toUnsignedInt(ALL.get(ValueLayout.JAVA_BYTE, address));
    }

    /** The unsigned 16-bit network-order (big-endian) field at {@code address}. */
    public static int u16(long address) {
        return Short.toUnsignedInt(ALL.get(NET16, address));
    }

    /** The unsigned 32-bit network-order field at {@code address}. */
    public static long u32(long address) {
        return Integer.toUnsignedLong(ALL.get(NET32, address));
    }

    /** 8 bytes at {@code address} in native order: for comparing fields, where byte order does not matter. */
    public static long raw64(long address) {
        return ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, address);
    }

    /** 4 bytes at {@code address} in native order, for comparisons. */
    public static int raw32(long address) {
        return ALL.get(ValueLayout.JAVA_INT_UNALIGNED, address);
    }

    /** Whether the {@code length} bytes at {@code a} and at {@code b} are the same. */
    public static boolean equal(long a, long b, long length) {
        return MemorySegment.mismatch(ALL, a, a + length, ALL, b, b + length) < 0;
    }
}
