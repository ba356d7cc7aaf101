package io.weft.agent.backend.userspace;

import io.netty.buffer.ByteBuf;
import io.weft.core.vxlan.Checksum;
import io.weft.core.vxlan.DirectBufferMemory;
import io.weft.core.vxlan.EthernetFrame;
import io.weft.core.vxlan.Ipv4Packet;
import io.weft.core.vxlan.VirtioNetHdr;

/**
 * Receive-side coalescing (what GRO does in the kernel): consecutive in-order TCP/IPv4 segments of one flow,
 * decapsulated from one batch of datagrams, are joined into one superframe and written to the TAP once with
 * a virtio-net header saying "TCPv4 GSO, gso_size = the segment size, checksum partial". The kernel then
 * carries one large packet through the bridge to the pod instead of dozens, and re-segments only if it must.
 *
 * <p>Rules, as conservative as Linux's tcp_gro_receive: IPv4 without options or fragments, TCP with only
 * ACK (and PSH on the last segment), same addresses, ports, ACK, window, TOS, TTL and option bytes, the
 * next expected sequence number, every segment but the last exactly the first one's size, a valid TCP
 * checksum on each (a zero outer UDP checksum protects nothing), at most 64 segments and 64 KiB. Anything
 * else flushes what is held and is written on its own. Event loop only.
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
        this.address = VxlanDatapath.address(directBuffer, 0, directBuffer.capacity());
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
        int h = eligibleHeaderLength(c, off, frameLen);
        if (h < 0) {
            flush();
            return false;
        }
        int payload = frameLen - h;
        int flags = c.getUnsignedByte(off + TCP + 13);
        if (count > 0 && matches(c, off, h, payload)) {
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
        nextSeq = (c.getUnsignedInt(off + TCP + 4) + payload) & 0xffffffffL;
        counters = pc;
        if ((flags & 0x08) != 0) flush();
        return true;
    }

    private boolean matches(ByteBuf c, int off, int h, int payload) {
        if (h != hdrLen || payload > mss || len + payload > MAX_BYTES) return false;
        if (c.getUnsignedInt(off + TCP + 4) != nextSeq) return false;
        // Ethernet header (12 bytes of MACs), IP TOS, TTL+proto, addresses
        if (c.getLong(off) != buf.getLong(HDR) || c.getInt(off + 8) != buf.getInt(HDR + 8)) return false;
        if (c.getByte(off + IP + 1) != buf.getByte(HDR + IP + 1)) return false;
        if (c.getShort(off + IP + 8) != buf.getShort(HDR + IP + 8)) return false;
        if (c.getLong(off + IP + 12) != buf.getLong(HDR + IP + 12)) return false;
        // ports, ack, window; then the option bytes
        if (c.getInt(off + TCP) != buf.getInt(HDR + TCP)) return false;
        if (c.getInt(off + TCP + 8) != buf.getInt(HDR + TCP + 8)) return false;
        if (c.getShort(off + TCP + 14) != buf.getShort(HDR + TCP + 14)) return false;
        for (int i = TCP + 20; i < h; i++) {
            if (c.getByte(off + i) != buf.getByte(HDR + i)) return false;
        }
        return true;
    }

    /** Header length if the frame is a coalescable TCP/IPv4 data segment with a valid checksum, else -1. */
    static int eligibleHeaderLength(ByteBuf c, int off, int frameLen) {
        if (frameLen < TCP + 20 || EthernetFrame.etherType(c, off) != EthernetFrame.TYPE_IPV4) return -1;
        int ip = off + IP;
        if (c.getUnsignedByte(ip) != 0x45 || Ipv4Packet.protocol(c, ip) != Ipv4Packet.PROTO_TCP) return -1;
        if (Ipv4Packet.isFragment(c, ip) || Ipv4Packet.totalLength(c, ip) != frameLen - IP) return -1;
        int tcp = off + TCP;
        int doff = (c.getUnsignedByte(tcp + 12) >>> 4) * 4;
        int h = TCP + doff;
        if (doff < 20 || h >= frameLen) return -1;
        int flags = c.getUnsignedByte(tcp + 13);
        if ((flags & ~0x18) != 0 || (flags & 0x10) == 0) return -1; // only ACK, optionally PSH
        int l4 = frameLen - TCP;
        if (Checksum.fold(Checksum.sum(c, tcp, l4, Ipv4Packet.pseudoHeaderSum(c, ip, l4))) != 0) return -1;
        return h;
    }

    /** Writes what is held: as it came for one segment, as a TCPv4 GSO superframe for more. */
    void flush() {
        if (count == 0) return;
        if (count == 1) {
            VirtioNetHdr.writeNone(buf, 0);
        } else {
            Ipv4Packet.setTotalLength(buf, HDR + IP, len - IP);
            Ipv4Packet.updateChecksum(buf, HDR + IP);
            int l4 = len - TCP;
            // checksum partial: the field holds the pseudo-header sum, the kernel completes it (or each segment's)
            buf.setShort(HDR + TCP + 16, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(buf, HDR + IP, l4)));
            VirtioNetHdr.write(buf, 0, VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_TCPV4, hdrLen, mss, TCP, 16);
            superframes++;
            coalesced += count;
        }
        if (!sink.write(address, HDR + len) && counters != null) counters.drop(DropReason.TAP_WRITE);
        count = 0;
        len = 0;
        counters = null;
    }
}
