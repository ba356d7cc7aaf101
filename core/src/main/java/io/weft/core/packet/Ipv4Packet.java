package io.weft.core.packet;

import io.netty.buffer.ByteBuf;

/** IPv4 header fields read and written in place. {@code offset} is where the IP header starts. */
public final class Ipv4Packet {
    public static final int MIN_HEADER = 20;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    private Ipv4Packet() {}

    public static int version(ByteBuf b, int off) {
        return b.getUnsignedByte(off) >>> 4;
    }

    public static int headerLength(ByteBuf b, int off) {
        return (b.getUnsignedByte(off) & 0x0f) * 4;
    }

    public static int totalLength(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2);
    }

    public static void setTotalLength(ByteBuf b, int off, int len) {
        b.setShort(off + 2, len);
    }

    public static int id(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 4);
    }

    public static void setId(ByteBuf b, int off, int id) {
        b.setShort(off + 4, id);
    }

    /** Fragment offset and MF bit: non-zero for a fragment. */
    public static boolean isFragment(ByteBuf b, int off) {
        return (b.getUnsignedShort(off + 6) & 0x3fff) != 0;
    }

    public static int protocol(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 9);
    }

    public static int src(ByteBuf b, int off) {
        return b.getInt(off + 12);
    }

    public static int dst(ByteBuf b, int off) {
        return b.getInt(off + 16);
    }

    /** Recomputes the header checksum in place. */
    public static void updateChecksum(ByteBuf b, int off) {
        int ihl = headerLength(b, off);
        b.setShort(off + 10, 0);
        b.setShort(off + 10, Checksum.fold(Checksum.sum(b, off, ihl, 0)));
    }

    public static boolean headerChecksumOk(ByteBuf b, int off) {
        int ihl = headerLength(b, off);
        return Checksum.fold(Checksum.sum(b, off, ihl, 0)) == 0;
    }

    /**
     * The partial sum of the TCP/UDP pseudo-header for a layer-4 segment of {@code l4Length} bytes: the source and
     * destination addresses as 16-bit words, the protocol and the length.
     */
    public static long pseudoHeaderSum(ByteBuf b, int off, int l4Length) {
        return Checksum.sum(b, off + 12, 8, protocol(b, off) + l4Length);
    }

    /** {@link #pseudoHeaderSum} of the IPv4 header at a native address that {@link DirectBufferMemory#address} checked. */
    public static long pseudoHeaderSumAt(long address, int l4Length) {
        return Checksum.sumAt(address + 12, 8, DirectBufferMemory.u8(address + 9) + l4Length);
    }
}
