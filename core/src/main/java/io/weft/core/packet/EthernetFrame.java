package io.weft.core.packet;

import io.netty.buffer.ByteBuf;

/** Ethernet II header fields read in place (no FCS: VXLAN carries frames without it). */
public final class EthernetFrame {
    public static final int HEADER_LENGTH = 14;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86dd;

    private EthernetFrame() {}

    /** The destination MAC as a 48-bit value. */
    public static long dst(ByteBuf buf, int offset) {
        return ((long) buf.getUnsignedShort(offset) << 32) | buf.getUnsignedInt(offset + 2);
    }

    public static long src(ByteBuf buf, int offset) {
        return ((long) buf.getUnsignedShort(offset + 6) << 32) | buf.getUnsignedInt(offset + 8);
    }

    public static int etherType(ByteBuf buf, int offset) {
        return buf.getUnsignedShort(offset + 12);
    }

    /** Group bit: broadcast or multicast. */
    public static boolean isGroup(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }

    public static void setDst(ByteBuf buf, int offset, long mac) {
        buf.setShort(offset, (int) (mac >>> 32));
        buf.setInt(offset + 2, (int) mac);
    }

    public static void setSrc(ByteBuf buf, int offset, long mac) {
        buf.setShort(offset + 6, (int) (mac >>> 32));
        buf.setInt(offset + 8, (int) mac);
    }
}
