package io.weft.agent.backend.userspace;

import io.netty.buffer.ByteBuf;
import io.weft.core.vxlan.Checksum;
import io.weft.core.vxlan.DirectBufferMemory;
import io.weft.core.vxlan.EthernetFrame;
import io.weft.core.vxlan.Ipv4Packet;
import io.weft.core.vxlan.VirtioNetHdr;

import static io.weft.core.vxlan.DirectBufferMemory.raw32;
import static io.weft.core.vxlan.DirectBufferMemory.raw64;
import static io.weft.core.vxlan.DirectBufferMemory.u16;
import static io.weft.core.vxlan.DirectBufferMemory.u32;
import static io.weft.core.vxlan.DirectBufferMemory.u8;

/**
 * Receive-side coalescing (what GRO does in the kernel): consecutive TCP segments, or UDP datagrams, of one flow,
 * decapsulated from one batch of datagrams, are joined into one superframe and written to the TAP once with a
 * virtio-net header saying "TCPv4 GSO" (or "UDP L4 GSO"), gso_size = the first one's payload, checksum partial.
 * The kernel then carries one large packet through the bridge to the pod instead of dozens, and cuts it back
 * where it must (for UDP at the receiving socket, into the very datagrams that were sent): one TAP write instead
 * of dozens, which is what bounds small packets.
 *
 * <p>Rules, as conservative as Linux's tcp_gro_receive and udp_gro_receive (and wireguard-go's
 * {@code tun/offload_linux.go}): IPv4 without options or fragments; the same Ethernet header, TOS, DF, TTL,
 * addresses and ports; every piece but the last exactly the first one's size; at most 64 pieces and 64 KiB. TCP
 * also: only ACK (and PSH on the last segment), the same ACK, window and option bytes, the next expected sequence
 * number. Anything else flushes what is held and is written on its own. Only frames whose checksum the caller has
 * verified or found partial ({@link io.weft.core.vxlan.InnerChecksum}) are offered: a superframe's checksum is made
 * anew, which would hide a piece that came corrupted. What is held is written with NEEDS_CSUM, a single frame too,
 * so that a partial checksum from a kernel peer gets finished. Event loop only.
 */
final class RxCoalescer {
    /** Where a finished frame goes: native address and length of virtio header + frame. */
    interface Sink {
        boolean write(long address, int length);
    }

    private static final int HDR = VirtioNetHdr.LENGTH;
    private static final int MAX_BYTES = 65535 - 64;
    private static final int MAX_SEGMENTS = 64;
    private static final int IP = EthernetFrame.HEADER_LENGTH;
    private static final int L4 = IP + 20;
    private static final int UDP_HEADER = L4 + 8;

    private final ByteBuf buf;
    private final long address;
    private final Sink sink;
    private int proto; // of what is held
    private int len; // frame bytes held, after the virtio header
    private int count;
    private int hdrLen;
    private int mss;
    private long nextSeq;
    private PeerCounters counters;
    private long superframes;
    private long coalesced;

    RxCoalescer(ByteBuf directBuffer, Sink sink) {
        this.buf = directBuffer;
        this.address = TapPort.address(directBuffer, 0, directBuffer.capacity());
        this.sink = sink;
    }

    /** Superframes written with more than one piece, and the pieces that went into them. */
    long superframes() {
        return superframes;
    }

    long coalescedSegments() {
        return coalesced;
    }

    /**
     * Takes the frame if it can be held for coalescing (returns true; it will reach the TAP by a later
     * {@link #flush}); otherwise flushes what is held and returns false, and the caller writes the frame.
     */
    boolean offer(ByteBuf c, int off, int frameLen, PeerCounters pc) {
        // Parsed by address after one bounds check of the whole frame; a buffer without a native address (never
        // the datapath's) is not coalesced.
        long a = DirectBufferMemory.addressable(c) ? DirectBufferMemory.address(c, off, frameLen) : 0;
        int p = a == 0 ? -1 : protocol(a, frameLen);
        int h = p == Ipv4Packet.PROTO_TCP ? tcpHeaderLength(a, frameLen) : p == Ipv4Packet.PROTO_UDP ? UDP_HEADER : -1;
        if (h < 0 || h >= frameLen) {
            flush();
            return false;
        }
        int payload = frameLen - h;
        boolean tcp = p == Ipv4Packet.PROTO_TCP;
        boolean psh = tcp && (u8(a + L4 + 13) & 0x08) != 0;
        if (count > 0 && p == proto && matches(a, h, payload)) {
            DirectBufferMemory.copy(c, off + h, buf, HDR + len, payload);
            len += payload;
            count++;
            if (tcp) {
                nextSeq = (nextSeq + payload) & 0xffffffffL;
                if (psh) buf.setByte(HDR + L4 + 13, buf.getUnsignedByte(HDR + L4 + 13) | 0x08);
            }
            if (payload < mss || psh || count >= MAX_SEGMENTS) flush();
            return true;
        }
        flush();
        if (frameLen > buf.capacity() - HDR) return false;
        DirectBufferMemory.copy(c, off, buf, HDR, frameLen);
        proto = p;
        len = frameLen;
        count = 1;
        hdrLen = h;
        mss = payload;
        if (tcp) nextSeq = (u32(a + L4 + 4) + payload) & 0xffffffffL;
        counters = pc;
        if (psh) flush();
        return true;
    }

    /** The transport protocol if the frame is an unfragmented IPv4 packet without options that fills it, else -1. */
    private static int protocol(long a, int frameLen) {
        if (frameLen < L4 + 8 || u16(a + 12) != EthernetFrame.TYPE_IPV4) return -1;
        long ip = a + IP;
        if (u8(ip) != 0x45 || (u16(ip + 6) & 0x3fff) != 0 || u16(ip + 2) != frameLen - IP) return -1; // options, a fragment, padded
        return u8(ip + 9);
    }

    /** Header length if the frame is a coalescable TCP data segment (only ACK, optionally PSH), else -1. */
    private static int tcpHeaderLength(long a, int frameLen) {
        if (frameLen < L4 + 20) return -1;
        int doff = (u8(a + L4 + 12) >>> 4) * 4;
        int flags = u8(a + L4 + 13);
        if (doff < 20 || (flags & ~0x18) != 0 || (flags & 0x10) == 0) return -1;
        return L4 + doff;
    }

    /** Whether the piece whose {@code h} header bytes are at address {@code a} continues the held run. */
    private boolean matches(long a, int h, int payload) {
        if (h != hdrLen || payload > mss || len + payload > MAX_BYTES) return false;
        long b = address + HDR; // the held frame's header, inside buf
        // Ethernet header (12 bytes of MACs), IP TOS, DF, TTL+proto, addresses, ports
        if (raw64(a) != raw64(b) || raw32(a + 8) != raw32(b + 8)) return false;
        if (u8(a + IP + 1) != u8(b + IP + 1) || u8(a + IP + 6) != u8(b + IP + 6) || u16(a + IP + 8) != u16(b + IP + 8)) return false;
        if (raw64(a + IP + 12) != raw64(b + IP + 12) || raw32(a + L4) != raw32(b + L4)) return false;
        if (proto != Ipv4Packet.PROTO_TCP) return true;
        // sequence, ack, window; then the option bytes
        if (u32(a + L4 + 4) != nextSeq) return false;
        if (raw32(a + L4 + 8) != raw32(b + L4 + 8) || u16(a + L4 + 14) != u16(b + L4 + 14)) return false;
        return DirectBufferMemory.equal(a + L4 + 20, b + L4 + 20, h - L4 - 20);
    }

    /**
     * Writes what is held, checksum partial: the field holds the pseudo-header sum and the kernel finishes it (or
     * each piece's, when it cuts the superframe). One piece goes as it came but for that; more go as a GSO
     * superframe of the first one's payload size.
     */
    void flush() {
        if (count == 0) return;
        boolean tcp = proto == Ipv4Packet.PROTO_TCP;
        int l4 = len - L4;
        int gso = VirtioNetHdr.GSO_NONE;
        if (count > 1) {
            Ipv4Packet.setTotalLength(buf, HDR + IP, len - IP);
            Ipv4Packet.updateChecksum(buf, HDR + IP);
            if (!tcp) buf.setShort(HDR + L4 + 4, l4); // the UDP length of the whole; the kernel sets each piece's
            gso = tcp ? VirtioNetHdr.GSO_TCPV4 : VirtioNetHdr.GSO_UDP_L4;
            superframes++;
            coalesced += count;
        }
        int field = tcp ? 16 : 6;
        buf.setShort(HDR + L4 + field, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(buf, HDR + IP, l4)));
        VirtioNetHdr.write(buf, 0, VirtioNetHdr.F_NEEDS_CSUM, gso, hdrLen, count > 1 ? mss : 0, L4, field);
        if (!sink.write(address, HDR + len) && counters != null) counters.drop(DropReason.TAP_WRITE);
        count = 0;
        len = 0;
        counters = null;
    }
}
