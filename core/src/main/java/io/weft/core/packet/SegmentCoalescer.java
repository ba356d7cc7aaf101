package io.weft.core.packet;

import static io.weft.core.packet.DirectBufferMemory.raw32;
import static io.weft.core.packet.DirectBufferMemory.raw64;
import static io.weft.core.packet.DirectBufferMemory.u16;
import static io.weft.core.packet.DirectBufferMemory.u32;
import static io.weft.core.packet.DirectBufferMemory.u8;

import io.netty.buffer.ByteBuf;

/**
 * Receive-side coalescing (what GRO does in the kernel), for a TAP (Ethernet frames, {@code l2Len} 14) or a TUN (IP
 * packets, {@code l2Len} 0): consecutive in-order TCP/IPv4 segments of one flow, received in one batch, are joined
 * into one superpacket and written once behind a virtio-net header saying "TCPv4 GSO, gso_size = the segment size,
 * checksum partial". The kernel then carries one large packet to the pod instead of dozens, and re-segments only if
 * it must.
 *
 * <p>Rules, as conservative as Linux's tcp_gro_receive: IPv4 without options or fragments, TCP with only ACK (and
 * PSH on the last segment), same link-layer addresses, IP addresses, ports, ACK, window, TOS, TTL and option bytes,
 * the next expected sequence number, every segment but the last exactly the first one's size, a valid TCP checksum
 * on each, at most 64 segments and 64 KiB. Anything else flushes what is held and is written on its own. One
 * thread (the event loop) uses an instance.
 *
 * @param <T> what the caller tags a held packet with (its peer's counters), handed back if writing it fails
 */
public final class SegmentCoalescer<T> {
    /** Where a finished packet goes: native address and length of virtio-net header + packet. */
    @FunctionalInterface
    public interface Sink {
        boolean write(long address, int length);
    }

    /** Told when writing a packet failed, with the tag of its first segment. */
    @FunctionalInterface
    public interface Failure<T> {
        void writeFailed(T tag);
    }

    private static final int HDR = VirtioNetHdr.LENGTH;
    private static final int MAX_BYTES = 65535 - 64;
    private static final int MAX_SEGMENTS = 64;

    private final int l2;
    private final int ipOff;
    private final int tcpOff;
    private final ByteBuf buf;
    private final long address;
    private final Sink sink;
    private final Failure<T> failure;
    private int len; // packet bytes held, after the virtio header
    private int count;
    private int hdrLen;
    private int mss;
    private long nextSeq;
    private T tag;
    private long superframes;
    private long coalesced;

    /**
     * @param l2Len        bytes before the IP header: 14 (Ethernet, a TAP) or 0 (a TUN)
     * @param directBuffer where packets are held: a direct buffer of at least 64 KiB + the virtio-net header
     */
    public SegmentCoalescer(int l2Len, ByteBuf directBuffer, Sink sink, Failure<T> failure) {
        if (l2Len != 0 && l2Len != EthernetFrame.HEADER_LENGTH) throw new IllegalArgumentException("l2Len 0 or 14");
        this.l2 = l2Len;
        this.ipOff = l2Len;
        this.tcpOff = l2Len + 20;
        this.buf = directBuffer;
        this.address = DirectBufferMemory.address(directBuffer, 0, directBuffer.capacity());
        this.sink = sink;
        this.failure = failure;
    }

    /** Superpackets written with more than one segment, and the segments that went into them. */
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
        int h = a == 0 ? -1 : eligibleHeaderLength(a, frameLen);
        if (h < 0) {
            flush();
            return false;
        }
        int payload = frameLen - h;
        int flags = u8(a + tcpOff + 13);
        if (count > 0 && matches(a, h, payload)) {
            DirectBufferMemory.copy(c, off + h, buf, HDR + len, payload);
            len += payload;
            nextSeq = (nextSeq + payload) & 0xffffffffL;
            count++;
            if ((flags & 0x08) != 0) buf.setByte(HDR + tcpOff + 13, buf.getUnsignedByte(HDR + tcpOff + 13) | 0x08);
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
        nextSeq = (u32(a + tcpOff + 4) + payload) & 0xffffffffL;
        tag = t;
        if ((flags & 0x08) != 0) flush();
        return true;
    }

    /** Whether the segment whose {@code h} header bytes are at address {@code a} continues the held run. */
    private boolean matches(long a, int h, int payload) {
        if (h != hdrLen || payload > mss || len + payload > MAX_BYTES) return false;
        if (u32(a + tcpOff + 4) != nextSeq) return false;
        long b = address + HDR; // the held packet's header, inside buf
        if (l2 > 0 && (raw64(a) != raw64(b) || raw32(a + 8) != raw32(b + 8))) return false; // the MAC addresses
        // IP TOS, TTL+proto, addresses
        if (u8(a + ipOff + 1) != u8(b + ipOff + 1) || u16(a + ipOff + 8) != u16(b + ipOff + 8)) return false;
        if (raw64(a + ipOff + 12) != raw64(b + ipOff + 12)) return false;
        // ports, ack, window; then the option bytes
        if (raw32(a + tcpOff) != raw32(b + tcpOff) || raw32(a + tcpOff + 8) != raw32(b + tcpOff + 8)) return false;
        if (u16(a + tcpOff + 14) != u16(b + tcpOff + 14)) return false;
        return DirectBufferMemory.equal(a + tcpOff + 20, b + tcpOff + 20, h - tcpOff - 20);
    }

    /**
     * Header length (link layer included) if the packet of {@code frameLen} bytes at address {@code a} is a
     * coalescable TCP/IPv4 data segment with a valid checksum, else -1.
     */
    private int eligibleHeaderLength(long a, int frameLen) {
        if (frameLen < tcpOff + 20) return -1;
        if (l2 > 0 && u16(a + 12) != EthernetFrame.TYPE_IPV4) return -1;
        long ip = a + ipOff;
        if (u8(ip) != 0x45 || u8(ip + 9) != Ipv4Packet.PROTO_TCP) return -1;
        if ((u16(ip + 6) & 0x3fff) != 0 || u16(ip + 2) != frameLen - ipOff) return -1; // a fragment, or padded
        long tcp = a + tcpOff;
        int doff = (u8(tcp + 12) >>> 4) * 4;
        int h = tcpOff + doff;
        if (doff < 20 || h >= frameLen) return -1;
        int flags = u8(tcp + 13);
        if ((flags & ~0x18) != 0 || (flags & 0x10) == 0) return -1; // only ACK, optionally PSH
        int l4 = frameLen - tcpOff;
        if (Checksum.fold(Checksum.sumAt(tcp, l4, Ipv4Packet.pseudoHeaderSumAt(ip, l4))) != 0) return -1;
        return h;
    }

    /** Writes what is held: as it came for one segment, as a TCPv4 GSO superpacket for more. */
    public void flush() {
        if (count == 0) return;
        if (count == 1) {
            VirtioNetHdr.writeNone(buf, 0);
        } else {
            Ipv4Packet.setTotalLength(buf, HDR + ipOff, len - ipOff);
            Ipv4Packet.updateChecksum(buf, HDR + ipOff);
            int l4 = len - tcpOff;
            // checksum partial: the field holds the pseudo-header sum, the kernel completes it (or each segment's)
            buf.setShort(HDR + tcpOff + 16, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(buf, HDR + ipOff, l4)));
            VirtioNetHdr.write(buf, 0, VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_TCPV4, hdrLen, mss, tcpOff, 16);
            superframes++;
            coalesced += count;
        }
        T t = tag;
        int n = len;
        count = 0;
        len = 0;
        tag = null;
        if (!sink.write(address, HDR + n) && t != null) failure.writeFailed(t);
    }
}
