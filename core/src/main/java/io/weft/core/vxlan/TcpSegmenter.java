package io.weft.core.vxlan;

import io.netty.buffer.ByteBuf;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.Ipv4Packet;

/**
 * What a NIC does with a TSO superframe, done in Java: the TAP hands weft one large TCP/IPv4 frame with a
 * virtio-net header saying "cut me into gso_size pieces"; this cuts it into full frames, each with its own
 * IP length, id and checksum, TCP sequence number, flags and complete checksum, and each already preceded by
 * its VXLAN header, laid out back to back so that the whole run can go out as one UDP GSO send (every
 * segment the same size but the last) or as a sendmmsg batch of slices.
 */
public final class TcpSegmenter {
    private TcpSegmenter() {}

    /** Completes a partial checksum the way {@code skb_checksum_help} does (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
    public static void completeChecksum(ByteBuf b, int frameOff, int frameLen, int csumStart, int csumOffset) {
        int start = frameOff + csumStart;
        if (csumStart >= frameLen || csumStart + csumOffset + 2 > frameLen) return;
        int c = Checksum.fold(Checksum.sum(b, start, frameOff + frameLen - start, 0));
        b.setShort(start + csumOffset, c == 0 && isUdpField(b, frameOff, csumStart) ? 0xffff : c);
    }

    private static boolean isUdpField(ByteBuf b, int frameOff, int csumStart) {
        if (EthernetFrame.etherType(b, frameOff) != EthernetFrame.TYPE_IPV4) return false;
        int ip = frameOff + EthernetFrame.HEADER_LENGTH;
        return Ipv4Packet.protocol(b, ip) == Ipv4Packet.PROTO_UDP
                && csumStart == EthernetFrame.HEADER_LENGTH + Ipv4Packet.headerLength(b, ip);
    }

    /** The bytes of Ethernet + IPv4 + TCP headers of the frame, or -1 when it is not TCP over IPv4. */
    public static int headerLength(ByteBuf b, int frameOff, int frameLen) {
        if (frameLen < EthernetFrame.HEADER_LENGTH + 40) return -1;
        if (EthernetFrame.etherType(b, frameOff) != EthernetFrame.TYPE_IPV4) return -1;
        int ip = frameOff + EthernetFrame.HEADER_LENGTH;
        if (Ipv4Packet.version(b, ip) != 4 || Ipv4Packet.protocol(b, ip) != Ipv4Packet.PROTO_TCP) return -1;
        int ihl = Ipv4Packet.headerLength(b, ip);
        if (ihl < 20) return -1;
        int tcp = ip + ihl;
        if (tcp + 20 > frameOff + frameLen) return -1;
        int doff = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        if (doff < 20) return -1;
        int hdr = EthernetFrame.HEADER_LENGTH + ihl + doff;
        return hdr <= frameLen ? hdr : -1;
    }

    /** How many bytes {@link #segment} writes for this superframe. */
    public static int outputSize(int hdrLen, int frameLen, int mss) {
        int payload = frameLen - hdrLen;
        int n = Math.max(1, (payload + mss - 1) / mss);
        return n * (VxlanHeader.LENGTH + hdrLen) + payload;
    }

    /**
     * Segments the TCP/IPv4 superframe at {@code frameOff} into {@code out} starting at its writer index, each
     * segment preceded by a VXLAN header for {@code vni}. Returns the number of segments; every segment but
     * the last occupies {@code 8 + hdrLen + mss} bytes.
     */
    public static int segment(ByteBuf in, int frameOff, int frameLen, int hdrLen, int mss, ByteBuf out, int vni) {
        int ip = frameOff + EthernetFrame.HEADER_LENGTH;
        int ihl = Ipv4Packet.headerLength(in, ip);
        int l4hdr = hdrLen - EthernetFrame.HEADER_LENGTH - ihl;
        int payload = frameLen - hdrLen;
        int id0 = Ipv4Packet.id(in, ip);
        long seq0 = in.getUnsignedInt(ip + ihl + 4);
        int flags0 = in.getUnsignedByte(ip + ihl + 13);
        int n = Math.max(1, (payload + mss - 1) / mss);
        int w = out.writerIndex();
        out.ensureWritable(outputSize(hdrLen, frameLen, mss));
        for (int i = 0; i < n; i++) {
            int chunk = Math.min(mss, payload - i * mss);
            if (chunk < 0) chunk = 0;
            VxlanHeader.write(out, w, vni);
            int f = w + VxlanHeader.LENGTH;
            DirectBufferMemory.copy(in, frameOff, out, f, hdrLen);
            DirectBufferMemory.copy(in, frameOff + hdrLen + i * mss, out, f + hdrLen, chunk);
            int oip = f + EthernetFrame.HEADER_LENGTH;
            Ipv4Packet.setTotalLength(out, oip, ihl + l4hdr + chunk);
            Ipv4Packet.setId(out, oip, (id0 + i) & 0xffff);
            Ipv4Packet.updateChecksum(out, oip);
            int tcp = oip + ihl;
            out.setInt(tcp + 4, (int) (seq0 + (long) i * mss));
            int fl = flags0;
            if (i != n - 1) fl &= ~0x09; // FIN, PSH only on the last segment
            if (i != 0) fl &= ~0x80; // CWR only on the first
            out.setByte(tcp + 13, fl);
            out.setShort(tcp + 16, 0);
            long s = Ipv4Packet.pseudoHeaderSum(out, oip, l4hdr + chunk);
            out.setShort(tcp + 16, Checksum.fold(Checksum.sum(out, tcp, l4hdr + chunk, s)));
            w = f + hdrLen + chunk;
        }
        out.writerIndex(w);
        return n;
    }
}
