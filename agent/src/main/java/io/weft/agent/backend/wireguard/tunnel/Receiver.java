package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.Ipv6Packet;
import io.weft.core.packet.SegmentCoalescer;
import io.weft.core.packet.VirtioNetHdr;
import java.net.InetSocketAddress;

/**
 * Wire to TUN: a transport message is found by its receiver index, opened, checked against the replay window
 * (after it authenticated, so forgeries cannot move the window), and its packet, if its source address belongs to
 * the sending peer, written to the TUN, TCP segments of one flow joined into superpackets first (core's
 * {@link SegmentCoalescer}, flushed at the end of each receive batch); handshake messages go to the handshake thread.
 * Whatever fails a check is counted by reason and dropped; nothing here throws. Event loop only.
 */
public final class Receiver {
    private static final int HDR = VirtioNetHdr.LENGTH;

    private final Tunnel t;
    private ByteBuf plain; // virtio-net header + one opened packet
    private ByteBuf held; // the coalescer's superpacket
    private SegmentCoalescer<WgCounters> coalescer;

    Receiver(Tunnel t) {
        this.t = t;
    }

    /** One UDP datagram {@code c[off, +len)} from {@code sender}. */
    public void datagram(ByteBuf c, int off, int len, InetSocketAddress sender) {
        int type = len >= 4 && c.getUnsignedByte(off + 1) == 0 && c.getUnsignedShort(off + 2) == 0 ? c.getUnsignedByte(off) : -1;
        switch (type) {
            case Protocol.TYPE_TRANSPORT -> transport(c, off, len, sender);
            case Protocol.TYPE_INITIATION, Protocol.TYPE_RESPONSE, Protocol.TYPE_COOKIE_REPLY -> {
                byte[] msg = new byte[len];
                c.getBytes(off, msg);
                t.worker.submit(type, msg, sender);
            }
            default -> t.unknown.drop(WgDrop.RUNT);
        }
    }

    private void transport(ByteBuf c, int off, int len, InetSocketAddress sender) {
        if (len < Protocol.KEEPALIVE_LENGTH || len > TunnelCrypto.WORK) {
            t.unknown.drop(WgDrop.RUNT);
            return;
        }
        long now = System.nanoTime();
        Keypair kp = t.keypairs.get(TunnelCrypto.receiver(c, off));
        if (kp == null) {
            t.unknown.drop(WgDrop.UNKNOWN_PEER);
            t.unknownSession(sender, now);
            return;
        }
        Peer p = kp.peer;
        if (kp.expired(now)) {
            p.counters.drop(WgDrop.EXPIRED);
            return;
        }
        long counter = TunnelCrypto.counter(c, off);
        if (Long.compareUnsigned(counter, Protocol.REJECT_AFTER_MESSAGES) >= 0) {
            p.counters.drop(WgDrop.REPLAY);
            return;
        }
        if (plain == null) plain = t.io.alloc().directBuffer(TunnelCrypto.WORK + HDR);
        int n = t.crypto.open(kp, c, off, len, plain, HDR);
        if (n < 0) {
            p.counters.drop(WgDrop.DECRYPT);
            return;
        }
        if (!kp.replay.accept(counter, Protocol.REJECT_AFTER_MESSAGES)) {
            p.counters.drop(WgDrop.REPLAY);
            return;
        }
        t.authenticated(kp, sender, now);
        if (n == 0) {
            p.counters.keepaliveReceived();
            return;
        }
        int total = allowedLength(p, n);
        if (total < 0) return;
        PacketSink sink = t.sink;
        if (sink != null) sink.packet(false, plain, HDR, total);
        p.counters.rx(total);
        t.dataReceived(p, now);
        if (t.io.coalesce() && coalescer().offer(plain, HDR, total, p.counters)) return;
        VirtioNetHdr.writeNone(plain, 0);
        if (!t.io.writeTun(DirectBufferMemory.address(plain, 0, HDR + total), HDR + total)) p.counters.drop(WgDrop.TUN_WRITE);
    }

    /**
     * The length of the opened IPv4 or IPv6 packet (its padding cut off) if its source address is one of the peer's
     * allowed IPs, else -1 with the drop counted.
     */
    private int allowedLength(Peer p, int n) {
        int version = n >= 20 ? plain.getUnsignedByte(HDR) >>> 4 : 0;
        int total;
        boolean allowed;
        if (version == 4) {
            total = plain.getUnsignedShort(HDR + 2);
            allowed = total >= 20 && total <= n && p.allows(plain.getInt(HDR + 12));
        } else if (version == 6 && n >= Ipv6Packet.HEADER_LENGTH) {
            total = Ipv6Packet.HEADER_LENGTH + plain.getUnsignedShort(HDR + 4);
            allowed = total <= n && p.allows6(plain.getLong(HDR + 8), plain.getLong(HDR + 16));
        } else {
            p.counters.drop(WgDrop.NOT_ALLOWED); // neither IPv4 nor IPv6
            return -1;
        }
        if (total > n || total < 20) {
            p.counters.drop(WgDrop.RUNT);
            return -1;
        }
        if (!allowed) {
            p.counters.drop(WgDrop.NOT_ALLOWED);
            return -1;
        }
        return total;
    }

    private SegmentCoalescer<WgCounters> coalescer() {
        if (coalescer == null) {
            held = t.io.alloc().directBuffer(TunnelCrypto.WORK + HDR);
            coalescer = new SegmentCoalescer<>(0, held, t.io::writeTun, c -> c.drop(WgDrop.TUN_WRITE));
        }
        return coalescer;
    }

    /** Writes what the coalescer holds: at the end of each batch of datagrams. */
    public void flush() {
        if (coalescer != null) coalescer.flush();
    }

    /** {superpackets written, segments joined into them}. */
    public long[] coalesceStats() {
        SegmentCoalescer<WgCounters> c = coalescer;
        return c == null ? new long[2] : new long[] {c.superframes(), c.coalescedSegments()};
    }

    void close() {
        flush();
        if (plain != null) plain.release();
        if (held != null) held.release();
        plain = held = null;
        coalescer = null;
    }
}
