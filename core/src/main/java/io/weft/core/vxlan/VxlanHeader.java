package io.weft.core.vxlan;

import io.netty.buffer.ByteBuf;
import io.weft.core.packet.EthernetFrame;

/**
 * The 8-byte VXLAN header (RFC 7348) as a flyweight over a buffer position: {@code 08 00 00 00 | VNI<<8}.
 * Linux drops packets with any reserved bit set, so weft writes exactly that and, on receive, accepts only
 * the I flag with every reserved bit zero (the kernel's default, without GBP/GPE extensions).
 */
public final class VxlanHeader {
    public static final int LENGTH = 8;
    /** The I flag: the VNI field is valid. */
    public static final int FLAG_I = 0x08;
    public static final int MAX_VNI = 0xff_ffff;

    /** Verdicts of {@link #check}: 0 is good, the rest name a drop reason. */
    public static final int OK = 0;
    public static final int RUNT = 1;
    public static final int BAD_FLAGS = 2;
    public static final int WRONG_VNI = 3;

    private VxlanHeader() {}

    public static void write(ByteBuf buf, int offset, int vni) {
        buf.setInt(offset, FLAG_I << 24);
        buf.setInt(offset + 4, (vni & MAX_VNI) << 8);
    }

    /** The first word: flags in the top byte, 24 reserved bits below. */
    public static int flagsWord(ByteBuf buf, int offset) {
        return buf.getInt(offset);
    }

    public static int vni(ByteBuf buf, int offset) {
        return buf.getInt(offset + 4) >>> 8;
    }

    /**
     * Checks a VXLAN payload of {@code length} bytes at {@code offset}: long enough for the header and an
     * Ethernet header, flags exactly {@code 0x08} with reserved bits zero (including the byte after the VNI),
     * and the expected VNI.
     */
    public static int check(ByteBuf buf, int offset, int length, int expectedVni) {
        if (length < LENGTH + EthernetFrame.HEADER_LENGTH) return RUNT;
        if (buf.getInt(offset) != FLAG_I << 24) return BAD_FLAGS;
        int w2 = buf.getInt(offset + 4);
        if ((w2 & 0xff) != 0) return BAD_FLAGS;
        if ((w2 >>> 8) != expectedVni) return WRONG_VNI;
        return OK;
    }
}
