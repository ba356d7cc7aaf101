package io.weft.core.packet;

import static io.weft.core.packet.DirectBufferMemory.u16;
import static io.weft.core.packet.DirectBufferMemory.u8;

/**
 * What the TCP or UDP checksum of an inner IPv4 or IPv6 packet received from the wire says: complete and right, wrong, or
 * <em>partial</em> — left for a device to finish, as the sender's kernel leaves it when its VXLAN device and the
 * underlay both offer checksum offload.
 *
 * <p><b>Where partial checksums come from.</b> A kernel VXLAN node sends its pods' TCP and UDP with
 * CHECKSUM_PARTIAL: the checksum field holds only the folded sum of the pseudo-header (addresses, protocol, length),
 * and skb metadata (csum_start, csum_offset) asks the device to finish it. A real NIC does; a veth — Docker's, kind's,
 * a network namespace's, with its default offloads — does not: it hands the skb to its peer with the metadata, the
 * peer trusts it, and the bytes stay half done. The outer UDP checksum is made by local checksum offload (LCO): it
 * is right for the packet <em>as it will be</em> once the inner checksum is finished, so it does not hold over the
 * bytes as they are, and the receiving kernel would drop the datagram if it checked (UdpInCsumErrors). It does not
 * check, because the same skb metadata says the checksum is taken care of. A socket hands userspace only the bytes:
 * not the metadata, not the outer checksum (UDP_GRO's cmsg carries the segment size, nothing else; GRO merges only
 * what the metadata or a verified outer checksum vouches for, and never finishes an inner checksum).
 *
 * <p><b>How a partial checksum is told from a wrong one.</b> By its value: a partial field equals the folded
 * pseudo-header sum exactly (what {@code tcp_v4_send_check} and {@code udp4_hwcsum} store, and what segmenting a
 * partial GSO skb keeps per segment). A wrong checksum equals it only by chance, 1 in 65 536. So:
 * <ul>
 *   <li>field == pseudo-header sum: {@link #PARTIAL}. Handed to the TAP with NEEDS_CSUM, the kernel finishes it.
 *       Finishing a field that holds the pseudo-header sum gives the right checksum for the bytes, so a complete
 *       packet whose right checksum happens to be that value comes out unchanged;</li>
 *   <li>otherwise the whole checksum is verified: {@link #VALID} or {@link #BAD} (dropped and counted).</li>
 * </ul>
 * <b>Why that is safe.</b> On a real wire every packet is complete: a partial value arrives only through a device
 * that carries skb metadata (veth, loopback), where the sender's kernel vouches for the bytes exactly as the
 * receiving kernel itself would trust them. Off such a path, the outer UDP checksum (on by default for VXLAN over
 * IPv4) has been verified over these very bytes before the socket saw them, and the Ethernet FCS before that, so a
 * corrupted packet reaching this test is already rare, and it would also need its field to land on the pseudo-header
 * sum. The checksum is no authentication: a sender that wants a packet accepted can compute a right one anyway.
 *
 * <p>IPv6 the same way (the pseudo-header of RFC 8200 §8.1; {@code tcp_v6_send_check} and {@code udp6_hwcsum_outgoing}
 * store it), for TCP or UDP right after the fixed header.
 *
 * <p>Results are one int, no object per packet: {@link #UNCHECKED} (not TCP/UDP over IPv4 or IPv6, a fragment or an
 * IPv6 extension header, UDP without a checksum, or malformed: passed on as it is and left to the kernel), {@link #BAD}, or a positive value carrying
 * the kind and where the checksum starts and lies ({@link #start}, {@link #offset}).
 */
public final class InnerChecksum {
    public static final int UNCHECKED = 0;
    public static final int BAD = -1;
    private static final int VALID_BIT = 1 << 30;
    private static final int PARTIAL_BIT = 1 << 29;
    private static final int IP = EthernetFrame.HEADER_LENGTH;

    private InnerChecksum() {}

    /**
     * Inspects the frame of {@code frameLen} bytes at native address {@code a}, which the caller has checked with
     * {@link DirectBufferMemory#address}.
     */
    public static int inspect(long a, int frameLen) {
        if (frameLen < IP + 20) return UNCHECKED;
        int type = u16(a + 12);
        if (type == EthernetFrame.TYPE_IPV4) return inspect4(a, frameLen);
        return type == EthernetFrame.TYPE_IPV6 ? inspect6(a, frameLen) : UNCHECKED;
    }

    private static int inspect4(long a, int frameLen) {
        long ip = a + IP;
        int vihl = u8(ip);
        int ihl = (vihl & 0x0f) * 4;
        int total = u16(ip + 2);
        if ((vihl >>> 4) != 4 || ihl < 20 || total < ihl || total > frameLen - IP) return UNCHECKED;
        if ((u16(ip + 6) & 0x3fff) != 0) return UNCHECKED; // a fragment: the kernel finishes checksums before fragmenting
        int l4 = total - ihl;
        return transport(ip, ihl, u8(ip + 9), l4, false);
    }

    /**
     * IPv6 whose next header is TCP or UDP itself; with extension headers (a fragment header among them) the packet is
     * passed on unchecked, as the kernel's own GRO passes it.
     */
    private static int inspect6(long a, int frameLen) {
        if (frameLen < IP + Ipv6Packet.HEADER_LENGTH) return UNCHECKED;
        long ip = a + IP;
        int l4 = u16(ip + 4);
        if ((u8(ip) >>> 4) != 6 || l4 > frameLen - IP - Ipv6Packet.HEADER_LENGTH) return UNCHECKED;
        int proto = u8(ip + 6);
        if (proto != Ipv4Packet.PROTO_TCP && proto != Ipv4Packet.PROTO_UDP) return UNCHECKED;
        return transport(ip, Ipv6Packet.HEADER_LENGTH, proto, l4, true);
    }

    /** The verdict on the TCP or UDP packet of {@code l4} bytes that follows the {@code ipLen} bytes of IP header at {@code ip}. */
    private static int transport(long ip, int ipLen, int proto, int l4, boolean v6) {
        long l4a = ip + ipLen;
        int offset;
        if (proto == Ipv4Packet.PROTO_TCP) {
            if (l4 < 20) return UNCHECKED;
            offset = 16;
        } else if (proto == Ipv4Packet.PROTO_UDP) {
            if (l4 < 8 || u16(l4a + 4) != l4) return UNCHECKED;
            offset = 6;
        } else {
            return UNCHECKED;
        }
        int field = u16(l4a + offset);
        // UDP sent without a checksum: allowed over IPv4; over IPv6 only for tunnels (RFC 6936), left to the kernel
        if (proto == Ipv4Packet.PROTO_UDP && field == 0) return UNCHECKED;
        long pseudo = v6 ? Ipv6Packet.pseudoHeaderSumAt(ip, l4) : Ipv4Packet.pseudoHeaderSumAt(ip, l4);
        int where = (IP + ipLen) << 8 | offset;
        if (field == Checksum.foldNoComplement(pseudo)) return PARTIAL_BIT | where;
        return Checksum.fold(Checksum.sumAt(l4a, l4, pseudo)) == 0 ? VALID_BIT | where : BAD;
    }

    /** Whether the checksum was left for a device to finish. */
    public static boolean partial(int r) {
        return r > 0 && (r & PARTIAL_BIT) != 0;
    }

    /** Whether the checksum was verified right. */
    public static boolean valid(int r) {
        return r > 0 && (r & VALID_BIT) != 0;
    }

    /** Whether the frame's checksum is fine to deliver as right: verified, or partial (the kernel finishes it). */
    public static boolean deliverable(int r) {
        return r > 0;
    }

    /** Where the transport header starts in the frame (virtio-net's csum_start). */
    public static int start(int r) {
        return (r >>> 8) & 0xffff;
    }

    /** Where the checksum field lies in the transport header (virtio-net's csum_offset). */
    public static int offset(int r) {
        return r & 0xff;
    }
}
