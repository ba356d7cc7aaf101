package io.weft.core.packet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.SplittableRandom;

/**
 * Ethernet/IPv6 frames for the offload tests, and the TCP/UDP checksum computed independently of weft's
 * {@link Checksum}: straight from RFC 8200 §8.1 and RFC 1071, over a byte array, 16 bits at a time.
 */
public final class Ipv6Frames {
    public static final byte[] SRC = {(byte) 0xfd, 0, 0x0a, (byte) 0xf4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    public static final byte[] DST = {(byte) 0xfd, 0, 0x0a, (byte) 0xf4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    public static final int TCP = 6;
    public static final int UDP = 17;

    private Ipv6Frames() {}

    /**
     * Ethernet + IPv6 (next header {@code proto}) + a TCP header of {@code tcpOptions} option bytes (ACK|PSH, sequence
     * {@code seq}) or a UDP header, then {@code payload} random bytes; the checksum field is left 0.
     */
    public static ByteBuf frame(int proto, int tcpOptions, int payload, long seq, long seed) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeShort(0x0a00).writeInt(2).writeShort(0x0a00).writeInt(1).writeShort(EthernetFrame.TYPE_IPV6);
        int l4hdr = proto == TCP ? 20 + tcpOptions : proto == UDP ? 8 : 0;
        b.writeInt(0x60012345).writeShort(l4hdr + payload).writeByte(proto).writeByte(64).writeBytes(SRC).writeBytes(DST);
        if (proto == TCP) {
            b.writeShort(40000).writeShort(5201).writeInt((int) seq).writeInt(77).writeByte(((20 + tcpOptions) / 4) << 4)
                    .writeByte(0x18).writeShort(502).writeShort(0).writeShort(0);
            for (int i = 0; i < tcpOptions; i += 4) b.writeInt(0x0101080a);
        } else if (proto == UDP) {
            b.writeShort(40000).writeShort(5201).writeShort(8 + payload).writeShort(0);
        }
        byte[] p = new byte[payload];
        new SplittableRandom(seed).nextBytes(p);
        b.writeBytes(p);
        return b;
    }

    /** The transport checksum field's index in a frame from {@link #frame}. */
    public static int field(ByteBuf f) {
        return 14 + 40 + (f.getUnsignedByte(14 + 6) == TCP ? 16 : 6);
    }

    /** The right checksum for the transport packet of the IPv6 packet at {@code ip}, its field counted as 0. */
    public static int reference(ByteBuf f, int ip, int csumField) {
        int l4 = f.getUnsignedShort(ip + 4);
        byte[] pkt = new byte[l4];
        f.getBytes(ip + 40, pkt);
        int rel = csumField - ip - 40;
        pkt[rel] = 0;
        pkt[rel + 1] = 0;
        long sum = 0;
        for (int i = 8; i < 40; i += 2) sum += f.getUnsignedShort(ip + i); // source and destination
        sum += (l4 >>> 16) + (l4 & 0xffff); // upper-layer length (32 bits)
        sum += f.getUnsignedByte(ip + 6); // three zero bytes and the next header
        for (int i = 0; i + 1 < l4; i += 2) sum += ((pkt[i] & 0xff) << 8) | (pkt[i + 1] & 0xff);
        if ((l4 & 1) != 0) sum += (pkt[l4 - 1] & 0xff) << 8;
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        int c = (int) (~sum & 0xffff);
        return c == 0 && f.getUnsignedByte(ip + 6) == UDP ? 0xffff : c;
    }

    /** Fills the frame's checksum field right, by {@link #reference}. */
    public static void complete(ByteBuf f) {
        f.setShort(field(f), reference(f, 14, field(f)));
    }

    /** The folded pseudo-header sum, what a sender's kernel leaves in the field for the device (CHECKSUM_PARTIAL). */
    public static int pseudo(ByteBuf f, int ip) {
        int l4 = f.getUnsignedShort(ip + 4);
        long sum = 0;
        for (int i = 8; i < 40; i += 2) sum += f.getUnsignedShort(ip + i);
        sum += (l4 >>> 16) + (l4 & 0xffff) + f.getUnsignedByte(ip + 6);
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    public static void makePartial(ByteBuf f) {
        f.setShort(field(f), pseudo(f, 14));
    }
}
