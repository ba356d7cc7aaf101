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
 * Receive-side coalescing (what GRO does in the kernel): consecutive in-order TCP/IPv4 segments of one flow,
 * decapsulated from one batch of datagrams, are joined into one superframe and written to the TAP once with
 * a virtio-net header saying "TCPv4 GSO, gso_size = the segment size, checksum partial". The kernel then
 * carries one large packet through the bridge to the pod instead of dozens, and re-segments only if it must.
 *
 * <p>Rules, as conservative as Linux's tcp_gro_receive: IPv4 without options or fragments, TCP with only
 * ACK (and PSH on the last segment), same addresses, ports, ACK, window, TOS, TTL and option bytes, the
 * next expected sequence number, every segment but the last exactly the first one's size, at most 64 segments
 * and 64 KiB. Anything else flushes what is held and is written on its own. Only segments whose checksum the
 * caller has verified or found partial ({@link io.weft.core.vxlan.InnerChecksum}) are offered: a superframe's
 * checksum is made anew, which would hide a segment that came corrupted. What is held is written with
 * NEEDS_CSUM, one segment too, so that a partial checksum from a kernel peer gets finished. Event loop only.
 */
final class TcpCoalescer {
    /** Where a finished frame goes: native address and length of virtio header + frame. */
    interface Sink {
        boolean write(long address, int length);
    }

    private static final int HDR = VirtioNetHdr.LENGTH;
    private static final int MAX_BYTES = 65535 - 64;
    private static final int MAX_SEGMENTS = 64;
    private static final int IP = EthernetFrame.HEADER_LENGTH;
    private static final int TCP = IP + 20;

    private final ByteBuf buf;
    private final long address;
    private final Sink sink;
    private int len; // frame bytes held, after the virtio header
    private int count;
    private int hdrLen;
    private int mss;
    private long nextSeq;
    private PeerCounters counters;
    private long superframes;
    private long coalesced;

    TcpCoalescer(ByteBuf directBuffer, Sink sink) {
        this.buf = directBuffer;
        this.address = TapPort.address(directBuffer, 0, directBuffer.capacity());
        this.sink = sink;
    }

    /** Superframes written with more than one segment, and the segments that went into them. */
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
        int h = a == 0 ? -1 : eligibleHeaderLength(a, frameLen);
        if (h < 0) {
            flush();
            return false;
        }
        int payload = frameLen - h;
        int flags = u8(a + TCP + 13);
        if (count > 0 && matches(a, h, payload)) {
            DirectBufferMemory.copy(c, off + h, buf, HDR + len, payload);
            len += payload;
            nextSeq = (nextSeq + payload) & 0xffffffffL;
            count++;
            if ((flags & 0x08) != 0) buf.setByte(HDR + TCP + 13, buf.getUnsignedByte(HDR + TCP + 13) | 0x08);
            if (payload < mss || (flags & 0x08) != 0 || count >= MAX_SEGMENTS) flush();
            return true;
        }
        flush();
        if (frameLen > buf.capacity() - HDR) return false;
        DirectBufferMemory.copy(c, off, buf, HDR, frameLen);
        len = frameLen;
        count = 1;
        hdrLen = h;
        mss = payload;
        nextSeq = (u32(a + TCP + 4) + payload) & 0xffffffffL;
        counters = pc;
        if ((flags & 0x08) != 0) flush();
        return true;
    }

    /** Whether the segment whose {@code h} header bytes are at address {@code a} continues the held run. */
    private boolean matches(long a, int h, int payload) {
        if (h != hdrLen || payload > mss || len + payload > MAX_BYTES) return false;
        if (u32(a + TCP + 4) != nextSeq) return false;
        long b = address + HDR; // the held frame's header, inside buf
        // Ethernet header (12 bytes of MACs), IP TOS, TTL+proto, addresses
        if (raw64(a) != raw64(b) || raw32(a + 8) != raw32(b + 8)) return false;
        if (u8(a + IP + 1) != u8(b + IP + 1) || u16(a + IP + 8) != u16(b + IP + 8)) return false;
        if (raw64(a + IP + 12) != raw64(b + IP + 12)) return false;
        // ports, ack, window; then the option bytes
        if (raw32(a + TCP) != raw32(b + TCP) || raw32(a + TCP + 8) != raw32(b + TCP + 8)) return false;
        if (u16(a + TCP + 14) != u16(b + TCP + 14)) return false;
        return DirectBufferMemory.equal(a + TCP + 20, b + TCP + 20, h - TCP - 20);
    }

    /**
     * Header length if the frame of {@code frameLen} bytes at address {@code a} is a coalescable TCP/IPv4 data
     * segment, else -1.
     */
    private static int eligibleHeaderLength(long a, int frameLen) {
        if (frameLen < TCP + 20 || u16(a + 12) != EthernetFrame.TYPE_IPV4) return -1;
        long ip = a + IP;
        if (u8(ip) != 0x45 || u8(ip + 9) != Ipv4Packet.PROTO_TCP) return -1;
        if ((u16(ip + 6) & 0x3fff) != 0 || u16(ip + 2) != frameLen - IP) return -1; // a fragment, or padded
        long tcp = a + TCP;
        int doff = (u8(tcp + 12) >>> 4) * 4;
        int h = TCP + doff;
        if (doff < 20 || h >= frameLen) return -1;
        int flags = u8(tcp + 13);
        if ((flags & ~0x18) != 0 || (flags & 0x10) == 0) return -1; // only ACK, optionally PSH
        return h;
    }

    /**
     * Writes what is held, checksum partial: the field holds the pseudo-header sum and the kernel finishes it (or
     * each segment's, when it cuts a superframe for a device that cannot take it whole). One segment goes as
     * it came but for that; more go as a TCPv4 GSO superframe of the first one's segment size.
     */
    void flush() {
        if (count == 0) return;
        int gso = VirtioNetHdr.GSO_NONE;
        if (count > 1) {
            Ipv4Packet.setTotalLength(buf, HDR + IP, len - IP);
            Ipv4Packet.updateChecksum(buf, HDR + IP);
            gso = VirtioNetHdr.GSO_TCPV4;
            superframes++;
            coalesced += count;
        }
        int l4 = len - TCP;
        buf.setShort(HDR + TCP + 16, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(buf, HDR + IP, l4)));
        VirtioNetHdr.write(buf, 0, VirtioNetHdr.F_NEEDS_CSUM, gso, hdrLen, count > 1 ? mss : 0, TCP, 16);
        if (!sink.write(address, HDR + len) && counters != null) counters.drop(DropReason.TAP_WRITE);
        count = 0;
        len = 0;
        counters = null;
    }
}
