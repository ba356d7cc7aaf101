package io.weft.core.packet;

import io.netty.buffer.ByteBuf;

/**
 * IPv6 header fields read and written in place, as {@link Ipv4Packet} does for IPv4. {@code offset} is where the IP
 * header starts. The fixed header is 40 bytes and carries no checksum; weft's fast paths (checksums, segmenting,
 * coalescing) take only packets whose next header is TCP or UDP directly, as Linux's GRO and wireguard-go do, and
 * leave a packet with extension headers to the kernel as it came.
 */
public final class Ipv6Packet {
    public static final int HEADER_LENGTH = 40;

    private Ipv6Packet() {}

    public static int version(ByteBuf b, int off) {
        return b.getUnsignedByte(off) >>> 4;
    }

    /** The bytes after the fixed header (extension headers and the upper-layer packet). */
    public static int payloadLength(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 4);
    }

    public static void setPayloadLength(ByteBuf b, int off, int len) {
        b.setShort(off + 4, len);
    }

    public static int nextHeader(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 6);
    }

    public static int hopLimit(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 7);
    }

    /**
     * The partial sum of the TCP/UDP pseudo-header (RFC 8200 §8.1) for an upper-layer packet of {@code l4Length} bytes
     * that directly follows the fixed header: source and destination addresses, the length and the next header.
     */
    public static long pseudoHeaderSum(ByteBuf b, int off, int l4Length) {
        return Checksum.sum(b, off + 8, 32, nextHeader(b, off) + (long) l4Length);
    }

    /** {@link #pseudoHeaderSum} of the IPv6 header at a native address that {@link DirectBufferMemory#address} checked. */
    public static long pseudoHeaderSumAt(long address, int l4Length) {
        return Checksum.sumAt(address + 8, 32, DirectBufferMemory.u8(address + 6) + (long) l4Length);
    }

    /** A hash of the source and destination addresses (for flow hashing: each 32-bit word folded in). */
    public static int addressHash(ByteBuf b, int off) {
        int h = 0;
        for (int i = 8; i < 40; i += 4) h = h * 31 + b.getInt(off + i);
        return h;
    }
}
