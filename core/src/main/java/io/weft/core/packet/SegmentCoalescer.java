package io.weft.core.packet;

import static io.weft.core.packet.DirectBufferMemory.raw32;
import static io.weft.core.packet.DirectBufferMemory.raw64;
import static io.weft.core.packet.DirectBufferMemory.u16;
import static io.weft.core.packet.DirectBufferMemory.u32;
import static io.weft.core.packet.DirectBufferMemory.u8;

import io.netty.buffer.ByteBuf;

/**
 * Receive-side coalescing (what GRO does in the kernel), for a TAP (Ethernet frames, {@code l2Len} 14) or a TUN (IP
 * packets, {@code l2Len} 0): consecutive TCP segments, or UDP datagrams, of one flow, received in one batch, are
 * joined into one superpacket and written once behind a virtio-net header saying "TCPv4 GSO" (or "UDP L4 GSO"),
 * gso_size = the first one's payload, checksum partial (TCPv6 for TCP over IPv6). The kernel then carries one large packet to the pod instead
 * of dozens, and cuts it back where it must (for UDP at the receiving socket, into the very datagrams that were
 * sent): one device write instead of dozens, which is also what bounds small packets.
 *
 * <p>Rules, as conservative as Linux's tcp_gro_receive and udp_gro_receive (and wireguard-go's
 * {@code tun/offload_linux.go}): IPv4 without options or fragments, IPv6 without extension headers; the same
 * link-layer header, TOS, DF, TTL (IPv6: traffic class, flow label, hop limit), addresses and ports; every piece but the last exactly the first one's size; at most 64 pieces and 64 KiB. TCP
 * also: only ACK (and PSH on the last segment), the same ACK, window and option bytes, the next expected sequence
 * number. Anything else flushes what is held and is written on its own.
 *
 * <p>Checksums, two ways ({@link Checks}). A superpacket's checksum is made anew, which would hide a piece that came
 * corrupted, so every piece's checksum is known good first: either this class verifies each TCP segment's
 * ({@link Checks#VERIFY}, the userspace WireGuard's TUN: packets as they were sealed, a held single packet goes as
 * it came), or the caller has already told right from wrong and from <em>partial</em> with {@link InnerChecksum}
 * ({@link Checks#CALLER}, the userspace VXLAN datapath's TAP: a kernel peer on a veth sends partial ones), and then
 * whatever is held goes with NEEDS_CSUM, a single frame too, so that a partial checksum gets finished.
 *
 * <p>UDP superpackets need a kernel whose virtio-net header takes GSO_UDP_L4 from userspace (Linux 6.2, the release
 * that brought TUN_F_USO4); the caller turns them on only where it is ({@code udp}). One thread (the event loop)
 * uses an instance.
 *
 * @param <T> what the caller tags a held packet with (its peer's counters), handed back if writing it fails
 */
public final class SegmentCoalescer<T> {
    /** Where a finished packet goes: native address and length of virtio-net header + packet. */
    @FunctionalInterface
    public interface Sink {
        boolean write(long address, int length);
    }

    /** Told when writing a packet failed, with the tag of its first piece. */
    @FunctionalInterface
    public interface Failure<T> {
        void writeFailed(T tag);
    }

    /** Who vouches for each piece's transport checksum, see the class comment. */
    public enum Checks {
        /** This class verifies each TCP segment's checksum; only TCP is joined. */
        VERIFY,
        /** The caller offers only pieces whose checksum it found right or partial ({@link InnerChecksum#deliverable}). */
        CALLER
    }

    private static final int HDR = VirtioNetHdr.LENGTH;
    private static final int MAX_BYTES = 65535 - 64;
    private static final int MAX_SEGMENTS = 64;

    private final int l2;
    private final int ipOff;
    private final boolean verify;
    private final boolean udp;
    private final ByteBuf buf;
    private final long address;
    private final Sink sink;
    private final Failure<T> failure;
    private int proto; // of what is held
    private int heldL4; // where the held packet's transport header starts: ipOff + 20 (IPv4) or + 40 (IPv6)
    private int cur; // the same for the packet being offered, set by protocol()
    private int len; // packet bytes held, after the virtio header
    private int count;
    private int hdrLen;
    private int mss;
    private long nextSeq;
    private T tag;
    private long superframes;
    private long coalesced;

    /** TCP only, each segment's checksum verified here: {@link Checks#VERIFY}. */
    public SegmentCoalescer(int l2Len, ByteBuf directBuffer, Sink sink, Failure<T> failure) {
        this(l2Len, directBuffer, sink, failure, Checks.VERIFY, false);
    }

    /**
     * @param l2Len        bytes before the IP header: 14 (Ethernet, a TAP) or 0 (a TUN)
     * @param directBuffer where packets are held: a direct buffer of at least 64 KiB + the virtio-net header
     * @param udp          UDP datagrams are joined too (only with {@link Checks#CALLER}: this class verifies TCP only)
     */
    public SegmentCoalescer(int l2Len, ByteBuf directBuffer, Sink sink, Failure<T> failure, Checks checks, boolean udp) {
        if (l2Len != 0 && l2Len != EthernetFrame.HEADER_LENGTH) throw new IllegalArgumentException("l2Len 0 or 14");
        if (udp && checks == Checks.VERIFY) throw new IllegalArgumentException("UDP only with checksums the caller checked");
        this.l2 = l2Len;
        this.ipOff = l2Len;
        this.verify = checks == Checks.VERIFY;
        this.udp = udp;
        this.buf = directBuffer;
        this.address = DirectBufferMemory.address(directBuffer, 0, directBuffer.capacity());
        this.sink = sink;
        this.failure = failure;
    }

    /** Superpackets written with more than one piece, and the pieces that went into them. */
    public long superframes() {
        return superframes;
    }

    public long coalescedSegments() {
        return coalesced;
    }

    /**
     * Takes the packet if it can be held for coalescing (returns true; it reaches the sink by a later
     * {@link #flush}); otherwise flushes what is held and returns false, and the caller writes the packet.
     */
    public boolean offer(ByteBuf c, int off, int frameLen, T t) {
        // Parsed by address after one bounds check of the whole packet; a buffer without a native address is not coalesced.
        long a = DirectBufferMemory.addressable(c) ? DirectBufferMemory.address(c, off, frameLen) : 0;
        int p = a == 0 ? -1 : protocol(a, frameLen);
        int h = p == Ipv4Packet.PROTO_TCP ? tcpHeaderLength(a, frameLen)
                : p == Ipv4Packet.PROTO_UDP && udp ? cur + 8 : -1;
        if (h < 0 || h >= frameLen) {
            flush();
            return false;
        }
        int payload = frameLen - h;
        boolean tcp = p == Ipv4Packet.PROTO_TCP;
        boolean psh = tcp && (u8(a + cur + 13) & 0x08) != 0;
        if (count > 0 && p == proto && cur == heldL4 && matches(a, h, payload)) {
            DirectBufferMemory.copy(c, off + h, buf, HDR + len, payload);
            len += payload;
            count++;
            if (tcp) {
                nextSeq = (nextSeq + payload) & 0xffffffffL;
                if (psh) buf.setByte(HDR + heldL4 + 13, buf.getUnsignedByte(HDR + heldL4 + 13) | 0x08);
            }
            if (payload < mss || psh || count >= MAX_SEGMENTS) flush();
            return true;
        }
        flush();
        if (frameLen > buf.capacity() - HDR) return false;
        DirectBufferMemory.copy(c, off, buf, HDR, frameLen);
        proto = p;
        heldL4 = cur;
        len = frameLen;
        count = 1;
        hdrLen = h;
        mss = payload;
        if (tcp) nextSeq = (u32(a + cur + 4) + payload) & 0xffffffffL;
        tag = t;
        if (psh) flush();
        return true;
    }

    /**
     * The transport protocol if the packet is unfragmented IPv4 without options, or IPv6 without extension headers,
     * that fills it, else -1; sets {@link #cur} to where its transport header starts.
     */
    private int protocol(long a, int frameLen) {
        if (frameLen < ipOff + 28) return -1;
        long ip = a + ipOff;
        int type = l2 > 0 ? u16(a + 12) : 0;
        int v = u8(ip);
        if (v == 0x45 && (l2 == 0 || type == EthernetFrame.TYPE_IPV4)) {
            if ((u16(ip + 6) & 0x3fff) != 0 || u16(ip + 2) != frameLen - ipOff) return -1; // a fragment, padded
            cur = ipOff + 20;
            return u8(ip + 9);
        }
        if ((v >>> 4) == 6 && (l2 == 0 || type == EthernetFrame.TYPE_IPV6)) {
            if (frameLen < ipOff + Ipv6Packet.HEADER_LENGTH + 8) return -1;
            if (u16(ip + 4) != frameLen - ipOff - Ipv6Packet.HEADER_LENGTH) return -1; // padded
            cur = ipOff + Ipv6Packet.HEADER_LENGTH;
            return u8(ip + 6); // an extension header is no TCP or UDP here: not joined
        }
        return -1; // IPv4 options, ARP, anything else
    }

    /**
     * Header length (link layer included) if the packet is a coalescable TCP data segment (only ACK, optionally
     * PSH) whose checksum is right where this class verifies it, else -1.
     */
    private int tcpHeaderLength(long a, int frameLen) {
        if (frameLen < cur + 20) return -1;
        long tcp = a + cur;
        int doff = (u8(tcp + 12) >>> 4) * 4;
        int flags = u8(tcp + 13);
        if (doff < 20 || (flags & ~0x18) != 0 || (flags & 0x10) == 0) return -1;
        if (verify) {
            int l4 = frameLen - cur;
            long pseudo = cur - ipOff == 20 ? Ipv4Packet.pseudoHeaderSumAt(a + ipOff, l4)
                    : Ipv6Packet.pseudoHeaderSumAt(a + ipOff, l4);
            if (Checksum.fold(Checksum.sumAt(tcp, l4, pseudo)) != 0) return -1;
        }
        return cur + doff;
    }

    /**
     * Whether the piece whose {@code h} header bytes are at address {@code a} continues the held run; it is of the
     * held packet's family ({@link #cur} == {@link #heldL4}).
     */
    private boolean matches(long a, int h, int payload) {
        if (h != hdrLen || payload > mss || len + payload > MAX_BYTES) return false;
        long b = address + HDR; // the held packet's header, inside buf
        if (l2 > 0 && (raw64(a) != raw64(b) || raw32(a + 8) != raw32(b + 8))) return false; // the MAC addresses
        long ip = a + ipOff;
        long hip = b + ipOff;
        int l4Off = cur;
        if (l4Off - ipOff == 20) {
            // IP TOS, DF, TTL+proto, addresses
            if (u8(ip + 1) != u8(hip + 1) || u8(ip + 6) != u8(hip + 6) || u16(ip + 8) != u16(hip + 8)) return false;
            if (raw64(ip + 12) != raw64(hip + 12)) return false;
        } else {
            // version, traffic class and flow label; next header and hop limit; addresses
            if (raw32(ip) != raw32(hip) || u16(ip + 6) != u16(hip + 6)) return false;
            if (!DirectBufferMemory.equal(ip + 8, hip + 8, 32)) return false;
        }
        if (raw32(a + l4Off) != raw32(b + l4Off)) return false; // ports
        if (proto != Ipv4Packet.PROTO_TCP) return true;
        // sequence, ack, window; then the option bytes
        if (u32(a + l4Off + 4) != nextSeq) return false;
        if (raw32(a + l4Off + 8) != raw32(b + l4Off + 8) || u16(a + l4Off + 14) != u16(b + l4Off + 14)) return false;
        return DirectBufferMemory.equal(a + l4Off + 20, b + l4Off + 20, h - l4Off - 20);
    }

    /**
     * Writes what is held. More than one piece go as a GSO superpacket of the first one's payload size, checksum
     * partial: the field holds the pseudo-header sum and the kernel finishes it (or each piece's, when it cuts the
     * superpacket). One piece goes as it came where this class verified it, else marked partial the same way.
     */
    public void flush() {
        if (count == 0) return;
        boolean tcp = proto == Ipv4Packet.PROTO_TCP;
        if (count == 1 && verify) {
            VirtioNetHdr.writeNone(buf, 0);
        } else {
            int l4Off = heldL4;
            boolean v6 = l4Off - ipOff == Ipv6Packet.HEADER_LENGTH;
            int l4 = len - l4Off;
            int gso = VirtioNetHdr.GSO_NONE;
            if (count > 1) {
                if (v6) {
                    Ipv6Packet.setPayloadLength(buf, HDR + ipOff, l4);
                } else {
                    Ipv4Packet.setTotalLength(buf, HDR + ipOff, len - ipOff);
                    Ipv4Packet.updateChecksum(buf, HDR + ipOff);
                }
                if (!tcp) buf.setShort(HDR + l4Off + 4, l4); // the UDP length of the whole; the kernel sets each piece's
                gso = !tcp ? VirtioNetHdr.GSO_UDP_L4 : v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4;
                superframes++;
                coalesced += count;
            }
            int field = tcp ? 16 : 6;
            long pseudo = v6 ? Ipv6Packet.pseudoHeaderSum(buf, HDR + ipOff, l4) : Ipv4Packet.pseudoHeaderSum(buf, HDR + ipOff, l4);
            buf.setShort(HDR + l4Off + field, Checksum.foldNoComplement(pseudo));
            VirtioNetHdr.write(buf, 0, VirtioNetHdr.F_NEEDS_CSUM, gso, hdrLen, count > 1 ? mss : 0, l4Off, field);
        }
        T t = tag;
        int n = len;
        count = 0;
        len = 0;
        tag = null;
        if (!sink.write(address, HDR + n) && t != null) failure.writeFailed(t);
    }
}
