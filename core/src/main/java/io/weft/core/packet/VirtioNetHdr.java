package io.weft.core.packet;

import io.netty.buffer.ByteBuf;

/**
 * The virtio-net header a TAP opened with {@code IFF_VNET_HDR} puts before (and expects before) each frame:
 * {@code u8 flags, u8 gso_type, u16 hdr_len, u16 gso_size, u16 csum_start, u16 csum_offset}, little-endian
 * on x86 (the TAP's native order unless TUNSETVNETBE/LE says otherwise).
 */
public final class VirtioNetHdr {
    public static final int LENGTH = 10;
    public static final int F_NEEDS_CSUM = 1;
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    private VirtioNetHdr() {}

    public static int flags(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    public static int gsoType(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 1);
    }

    public static int hdrLen(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 2);
    }

    public static int gsoSize(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 4);
    }

    public static int csumStart(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 6);
    }

    public static int csumOffset(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 8);
    }

    public static void writeNone(ByteBuf b, int off) {
        b.setLong(off, 0);
        b.setShort(off + 8, 0);
    }

    public static void write(ByteBuf b, int off, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                             int csumOffset) {
        b.setByte(off, flags);
        b.setByte(off + 1, gsoType);
        b.setShortLE(off + 2, hdrLen);
        b.setShortLE(off + 4, gsoSize);
        b.setShortLE(off + 6, csumStart);
        b.setShortLE(off + 8, csumOffset);
    }
}
