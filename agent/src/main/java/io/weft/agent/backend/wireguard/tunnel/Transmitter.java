package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.Ipv6Packet;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.packet.VirtioNetHdr;

/**
 * TUN to wire: the destination address (IPv4 or IPv6) picks the peer (cryptokey routing), a TSO superpacket
 * (TCPv4 or TCPv6) is cut into segments with complete checksums, each segment is sealed with the peer's current
 * session, and a superpacket's segments, which seal to equal lengths, leave as UDP GSO runs. Without a usable session the packet waits (up to
 * 128 per peer) for the handshake it starts. Event loop only.
 */
public final class Transmitter {
    private static final int HDR = VirtioNetHdr.LENGTH;
    /** The kernel refuses a UDP send over 64 KiB, so one GSO send carries at most this much. */
    private static final int GSO_MAX_BYTES = 65000;
    private static final int GSO_MAX_SEGMENTS = 64;

    private final Tunnel t;
    private ByteBuf segment; // one plaintext segment at a time
    private ByteBuf staging; // a staged packet brought back to direct memory

    Transmitter(Tunnel t) {
        this.t = t;
    }

    private ByteBuf segmentBuffer() {
        if (segment == null) segment = t.io.alloc().directBuffer(TunnelCrypto.WORK + HDR);
        return segment;
    }

    /** One read from the TUN: virtio-net header, then the IP packet, {@code len} bytes in all at index 0. */
    public void fromTun(ByteBuf in, int len) {
        int plen = len - HDR;
        int version = plen >= 20 ? in.getUnsignedByte(HDR) >>> 4 : 0;
        Peer p = version == 4 ? t.router.lookup(in.getInt(HDR + 16))
                : version == 6 && plen >= Ipv6Packet.HEADER_LENGTH ? t.router.lookup6(in.getLong(HDR + 24), in.getLong(HDR + 32))
                : null;
        if (p == null) {
            t.unknown.drop(WgDrop.NO_ROUTE);
            return;
        }
        long now = System.nanoTime();
        Keypair kp = p.current;
        if (kp == null || !kp.canSend(now) || p.endpoint == null) {
            stage(p, in, len);
            t.requestHandshake(p, now, false);
            return;
        }
        send(p, kp, in, len, now);
    }

    private void stage(Peer p, ByteBuf in, int len) {
        if (p.staged.size() >= Peer.STAGED_MAX) {
            p.staged.pollFirst();
            p.counters.drop(WgDrop.NO_SESSION);
        }
        byte[] copy = new byte[len];
        DirectBufferMemory.copyToArray(in, 0, copy, 0, len);
        p.staged.addLast(copy);
    }

    /** Sends what waited for the session that is now there. */
    void flushStaged(Peer p, long now) {
        Keypair kp = p.current;
        while (!p.staged.isEmpty() && kp != null && kp.canSend(now) && p.endpoint != null) {
            byte[] b = p.staged.pollFirst();
            if (staging == null) staging = t.io.alloc().directBuffer(TunnelCrypto.WORK + HDR);
            DirectBufferMemory.copyFromArray(b, 0, staging, 0, b.length);
            send(p, kp, staging, b.length, now);
        }
        t.io.flush();
    }

    /** An empty transport message; without a session, a handshake instead. */
    void sendKeepalive(Peer p, long now) {
        Keypair kp = p.current;
        if (kp == null || !kp.canSend(now) || p.endpoint == null) {
            t.requestHandshake(p, now, false);
            return;
        }
        ByteBuf out = t.io.alloc().directBuffer(Protocol.KEEPALIVE_LENGTH);
        out.writerIndex(t.crypto.seal(kp, kp.sendCounter++, out, 0, 0, t.mtu, out, 0));
        t.io.send(out, 0, p.endpoint);
        t.authenticatedSent(p, now);
    }

    private void send(Peer p, Keypair kp, ByteBuf in, int len, long now) {
        int plen = len - HDR;
        int gsoType = VirtioNetHdr.gsoType(in, 0) & ~VirtioNetHdr.GSO_ECN;
        if (gsoType == VirtioNetHdr.GSO_NONE) {
            if ((VirtioNetHdr.flags(in, 0) & VirtioNetHdr.F_NEEDS_CSUM) != 0) {
                TcpSegmenter.completeChecksum(in, HDR, 0, plen, VirtioNetHdr.csumStart(in, 0), VirtioNetHdr.csumOffset(in, 0));
            }
            PacketSink sink = t.sink;
            if (sink != null) sink.packet(true, in, HDR, plen);
            ByteBuf out = t.io.alloc().directBuffer(TunnelCrypto.sealedLength(plen, t.mtu));
            out.writerIndex(t.crypto.seal(kp, kp.sendCounter++, in, HDR, plen, t.mtu, out, 0));
            t.io.send(out, 0, p.endpoint);
            p.counters.tx(1, plen);
            t.dataSent(p, kp, now);
            return;
        }
        int mss = VirtioNetHdr.gsoSize(in, 0);
        boolean v6 = gsoType == VirtioNetHdr.GSO_TCPV6;
        int hdr = v6 ? TcpSegmenter.ipv6TcpHeaderLength(in, HDR, plen) : TcpSegmenter.ipv4TcpHeaderLength(in, HDR, plen);
        // A sane superpacket only: a tiny gso_size would make thousands of segments out of one read.
        if ((gsoType != VirtioNetHdr.GSO_TCPV4 && !v6) || hdr < 0 || mss < 64 || (plen - hdr) / mss > 1024) {
            p.counters.drop(WgDrop.TX_ERROR);
            return;
        }
        int n = TcpSegmenter.segmentCount(plen, hdr, mss);
        int full = TunnelCrypto.sealedLength(hdr + mss, t.mtu);
        ByteBuf out = t.io.alloc().directBuffer(n * full);
        ByteBuf seg = segmentBuffer();
        PacketSink sink = t.sink;
        int w = 0;
        for (int i = 0; i < n; i++) {
            int sl = TcpSegmenter.writeSegment(in, HDR, 0, plen, hdr, mss, i, seg, 0);
            if (sink != null) sink.packet(true, seg, 0, sl);
            w += t.crypto.seal(kp, kp.sendCounter++, seg, 0, sl, t.mtu, out, w);
        }
        out.writerIndex(w);
        try {
            if (t.io.gso() && n > 1) {
                int perSend = Math.max(1, Math.min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES / full));
                for (int o = 0; o < w; o += perSend * full) {
                    t.io.send(out.retainedSlice(o, Math.min(perSend * full, w - o)), full, p.endpoint);
                }
            } else {
                for (int o = 0; o < w; o += full) t.io.send(out.retainedSlice(o, Math.min(full, w - o)), 0, p.endpoint);
            }
        } finally {
            out.release();
        }
        p.counters.tx(n, plen + (long) (n - 1) * hdr);
        t.dataSent(p, kp, now);
    }

    void close() {
        if (segment != null) segment.release();
        if (staging != null) staging.release();
        segment = staging = null;
    }
}
