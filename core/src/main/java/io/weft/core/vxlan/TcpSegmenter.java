package io.weft.core.vxlan;

import io.netty.buffer.ByteBuf;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.Ipv4Packet;
import io.weft.core.packet.Ipv6Packet;

/**
 * What a NIC does with a TSO superframe, done in Java: the TAP hands weft one large TCP frame over IPv4 or IPv6 with a
 * virtio-net header saying "cut me into gso_size pieces"; this cuts it into full frames, each with its own
 * IP length (and IPv4 id and header checksum), TCP sequence number, flags and complete checksum, and each already preceded by
 * its VXLAN header, laid out back to back so that the whole run can go out as one UDP GSO send (every
 * segment the same size but the last) or as a sendmmsg batch of slices.
 */
public final class TcpSegmenter {
    private TcpSegmenter() {}

    /** Completes a partial checksum the way {@code skb_checksum_help} does (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
    public static void completeChecksum(ByteBuf b, int frameOff, int frameLen, int csumStart, int csumOffset) {
        completeChecksum(b, frameOff, EthernetFrame.HEADER_LENGTH, frameLen, csumStart, csumOffset);
    }

    /**
     * As {@link #completeChecksum(ByteBuf, int, int, int, int)} for a frame with {@code l2Len} bytes before its IP
     * header: 14 from a TAP, 0 from a TUN (whose csum_start counts from the IP header).
     */
    public static void completeChecksum(ByteBuf b, int frameOff, int l2Len, int frameLen, int csumStart, int csumOffset) {
        int start = frameOff + csumStart;
        if (csumStart >= frameLen || csumStart + csumOffset + 2 > frameLen) return;
        int c = Checksum.fold(Checksum.sum(b, start, frameOff + frameLen - start, 0));
        b.setShort(start + csumOffset, c == 0 && isUdpField(b, frameOff, l2Len, csumStart) ? 0xffff : c);
    }

    /** Whether the field is UDP's, where a computed 0 is sent as 0xffff (0 means "no checksum", refused over IPv6). */
    private static boolean isUdpField(ByteBuf b, int frameOff, int l2Len, int csumStart) {
        int ip = frameOff + l2Len;
        int version = Ipv4Packet.version(b, ip);
        if (version == 4) {
            if (l2Len > 0 && EthernetFrame.etherType(b, frameOff) != EthernetFrame.TYPE_IPV4) return false;
            return Ipv4Packet.protocol(b, ip) == Ipv4Packet.PROTO_UDP && csumStart == l2Len + Ipv4Packet.headerLength(b, ip);
        }
        if (version != 6 || (l2Len > 0 && EthernetFrame.etherType(b, frameOff) != EthernetFrame.TYPE_IPV6)) return false;
        return Ipv6Packet.nextHeader(b, ip) == Ipv4Packet.PROTO_UDP && csumStart == l2Len + Ipv6Packet.HEADER_LENGTH;
    }

    /**
     * The bytes of Ethernet + IP + TCP headers of the frame, or -1 when it is not TCP over IPv4 or over IPv6 (TCP right
     * after the fixed header: Linux's TCPv6 GSO puts no extension header there for weft to cut around).
     */
    public static int headerLength(ByteBuf b, int frameOff, int frameLen) {
        if (frameLen < EthernetFrame.HEADER_LENGTH + 40) return -1;
        int ip = frameOff + EthernetFrame.HEADER_LENGTH;
        int len = frameLen - EthernetFrame.HEADER_LENGTH;
        int l3 = switch (EthernetFrame.etherType(b, frameOff)) {
            case EthernetFrame.TYPE_IPV4 -> ipv4TcpHeaderLength(b, ip, len);
            case EthernetFrame.TYPE_IPV6 -> ipv6TcpHeaderLength(b, ip, len);
            default -> -1;
        };
        return l3 < 0 ? -1 : EthernetFrame.HEADER_LENGTH + l3;
    }

    /** The bytes of IPv6 + TCP headers of the IP packet at {@code ip} ({@code len} bytes), or -1 when it is not TCP right after the fixed header. */
    public static int ipv6TcpHeaderLength(ByteBuf b, int ip, int len) {
        if (len < Ipv6Packet.HEADER_LENGTH + 20) return -1;
        if (Ipv6Packet.version(b, ip) != 6 || Ipv6Packet.nextHeader(b, ip) != Ipv4Packet.PROTO_TCP) return -1;
        int doff = (b.getUnsignedByte(ip + Ipv6Packet.HEADER_LENGTH + 12) >>> 4) * 4;
        if (doff < 20) return -1;
        int hdr = Ipv6Packet.HEADER_LENGTH + doff;
        return hdr <= len ? hdr : -1;
    }

    /** The bytes of IPv4 + TCP headers of the IP packet at {@code ip} ({@code len} bytes), or -1 when it is not TCP/IPv4. */
    public static int ipv4TcpHeaderLength(ByteBuf b, int ip, int len) {
        if (len < 40) return -1;
        if (Ipv4Packet.version(b, ip) != 4 || Ipv4Packet.protocol(b, ip) != Ipv4Packet.PROTO_TCP) return -1;
        int ihl = Ipv4Packet.headerLength(b, ip);
        if (ihl < 20) return -1;
        int tcp = ip + ihl;
        if (tcp + 20 > ip + len) return -1;
        int doff = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        if (doff < 20) return -1;
        int hdr = ihl + doff;
        return hdr <= len ? hdr : -1;
    }

    /** How many bytes {@link #segment} writes for this superframe. */
    public static int outputSize(int hdrLen, int frameLen, int mss) {
        int payload = frameLen - hdrLen;
        int n = Math.max(1, (payload + mss - 1) / mss);
        return n * (VxlanHeader.LENGTH + hdrLen) + payload;
    }

    /**
     * Segments the TCP superframe (IPv4 or IPv6) at {@code frameOff} into {@code out} starting at its writer index, each
     * segment preceded by a VXLAN header for {@code vni}. Returns the number of segments; every segment but
     * the last occupies {@code 8 + hdrLen + mss} bytes.
     */
    public static int segment(ByteBuf in, int frameOff, int frameLen, int hdrLen, int mss, ByteBuf out, int vni) {
        int payload = frameLen - hdrLen;
        int n = Math.max(1, (payload + mss - 1) / mss);
        int w = out.writerIndex();
        out.ensureWritable(outputSize(hdrLen, frameLen, mss));
        for (int i = 0; i < n; i++) {
            VxlanHeader.write(out, w, vni);
            w += VxlanHeader.LENGTH;
            w += writeSegment(in, frameOff, EthernetFrame.HEADER_LENGTH, frameLen, hdrLen, mss, i, out, w);
        }
        out.writerIndex(w);
        return n;
    }

    /** How many segments of {@code mss} payload bytes a superframe of {@code frameLen} with {@code hdrLen} header bytes makes. */
    public static int segmentCount(int frameLen, int hdrLen, int mss) {
        return Math.max(1, (frameLen - hdrLen + mss - 1) / mss);
    }

    /**
     * Writes segment {@code i} of the TCP superframe at {@code frameOff} (IP header {@code l2Len} bytes in,
     * {@code hdrLen} header bytes in all) to {@code out[at]}: the headers with this segment's IP length (for IPv4 also
     * its id and header checksum), sequence number, flags and complete TCP checksum (over the pseudo-header of the
     * packet's family), then its share of the payload. Returns its length.
     * {@code out} must have room ({@code hdrLen + mss}).
     */
    public static int writeSegment(ByteBuf in, int frameOff, int l2Len, int frameLen, int hdrLen, int mss, int i,
                                   ByteBuf out, int at) {
        int ip = frameOff + l2Len;
        boolean v6 = Ipv4Packet.version(in, ip) == 6;
        int ihl = v6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.headerLength(in, ip);
        int l4hdr = hdrLen - l2Len - ihl;
        int payload = frameLen - hdrLen;
        int n = Math.max(1, (payload + mss - 1) / mss);
        int chunk = Math.max(0, Math.min(mss, payload - i * mss));
        DirectBufferMemory.copy(in, frameOff, out, at, hdrLen);
        DirectBufferMemory.copy(in, frameOff + hdrLen + i * mss, out, at + hdrLen, chunk);
        int oip = at + l2Len;
        if (v6) {
            Ipv6Packet.setPayloadLength(out, oip, l4hdr + chunk);
        } else {
            Ipv4Packet.setTotalLength(out, oip, ihl + l4hdr + chunk);
            Ipv4Packet.setId(out, oip, (Ipv4Packet.id(in, ip) + i) & 0xffff);
            Ipv4Packet.updateChecksum(out, oip);
        }
        int tcp = oip + ihl;
        out.setInt(tcp + 4, (int) (in.getUnsignedInt(ip + ihl + 4) + (long) i * mss));
        int fl = in.getUnsignedByte(ip + ihl + 13);
        if (i != n - 1) fl &= ~0x09; // FIN, PSH only on the last segment
        if (i != 0) fl &= ~0x80; // CWR only on the first
        out.setByte(tcp + 13, fl);
        out.setShort(tcp + 16, 0);
        long s = v6 ? Ipv6Packet.pseudoHeaderSum(out, oip, l4hdr + chunk) : Ipv4Packet.pseudoHeaderSum(out, oip, l4hdr + chunk);
        out.setShort(tcp + 16, Checksum.fold(Checksum.sum(out, tcp, l4hdr + chunk, s)));
        return hdrLen + chunk;
    }
}
