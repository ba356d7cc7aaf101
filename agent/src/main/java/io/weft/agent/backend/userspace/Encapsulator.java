package io.weft.agent.backend.userspace;

import io.weft.agent.capture.FrameSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.FlowHash;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.packet.VirtioNetHdr;
import io.weft.core.vxlan.VxlanHeader;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The transmit path's work per frame, TAP to wire: the destination MAC picks the peer (no FDB entry: dropped
 * and counted), a plain frame gets its partial checksum completed and a VXLAN header, a TSO superframe is cut
 * into checksummed segments, each with its header, sent as UDP GSO runs (or one datagram each). The flow's hash
 * picks the send socket, so the outer source port follows the inner flow as the kernel's does. Runs on the
 * transmit event loop only; the datapath owns the sockets, flushing and flow control.
 *
 * <p>Plain frames are batched too: consecutive frames of one size for one peer on one socket (a flow of small
 * UDP datagrams, a burst of ACKs) are laid out back to back and leave as one UDP GSO send at the end of the TAP
 * read batch ({@link #flush}), or when a frame that does not fit the run comes. One pass through the kernel's UDP
 * stack instead of one per frame; over a veth the run even reaches the peer whole, where UDP_GRO hands it over in
 * one receive. Without UDP GSO each frame is its own datagram of a sendmmsg batch.
 */
final class Encapsulator {
    /** The kernel refuses a UDP send over 64 KiB, so one GSO send carries at most this much. */
    private static final int GSO_MAX_BYTES = 65000;
    private static final int GSO_MAX_SEGMENTS = 64;

    /** Queues a datagram on send socket {@code queue}; the datapath flushes once per batch. */
    @FunctionalInterface
    interface Sender {
        void send(int queue, Object datagram);
    }

    private final PeerTable peers;
    private final int vni;
    private final ByteBufAllocator alloc;
    private final Supplier<FrameSink> sink;
    private final BooleanSupplier gso;
    private final int queues;
    private final Sender sender;
    /** Per send socket: the run of same-size plain frames not yet handed to it (null: none). */
    private final ByteBuf[] run;
    private final Peer[] runPeer;
    private final int[] runStride;

    /**
     * @param sink   the capture in progress, if any
     * @param gso    whether UDP GSO sends work (false after the kernel refused one)
     * @param queues how many send sockets there are
     */
    Encapsulator(PeerTable peers, int vni, ByteBufAllocator alloc, Supplier<FrameSink> sink, BooleanSupplier gso, int queues,
                 Sender sender) {
        this.peers = peers;
        this.vni = vni;
        this.alloc = alloc;
        this.sink = sink;
        this.gso = gso;
        this.queues = queues;
        this.sender = sender;
        this.run = new ByteBuf[queues];
        this.runPeer = new Peer[queues];
        this.runStride = new int[queues];
    }

    /** Encapsulates one read from the TAP (virtio header + frame at index 0 of {@code in}). */
    void encap(ByteBuf in, int readLen) {
        int frameOff = VirtioNetHdr.LENGTH;
        int frameLen = readLen - VirtioNetHdr.LENGTH;
        if (frameLen < EthernetFrame.HEADER_LENGTH) {
            peers.unknown().drop(DropReason.TX_ERROR);
            return;
        }
        Peer peer = peers.snapshot().byMac(EthernetFrame.dst(in, frameOff));
        if (peer == null) {
            peers.unknown().drop(DropReason.NO_FDB);
            return;
        }
        int flags = VirtioNetHdr.flags(in, 0);
        int gsoType = VirtioNetHdr.gsoType(in, 0) & ~VirtioNetHdr.GSO_ECN;
        int q = (FlowHash.hash(in, frameOff, frameLen) & 0x7fffffff) % queues;
        if (gsoType == VirtioNetHdr.GSO_NONE) {
            if ((flags & VirtioNetHdr.F_NEEDS_CSUM) != 0) {
                TcpSegmenter.completeChecksum(in, frameOff, frameLen, VirtioNetHdr.csumStart(in, 0),
                        VirtioNetHdr.csumOffset(in, 0));
            }
            int stride = VxlanHeader.LENGTH + frameLen;
            ByteBuf out;
            if (!gso.getAsBoolean()) {
                out = alloc.directBuffer(stride);
            } else {
                ByteBuf r = run[q];
                if (r != null && (runPeer[q] != peer || runStride[q] != stride || r.writableBytes() < stride
                        || r.writerIndex() / stride >= GSO_MAX_SEGMENTS)) {
                    flush(q);
                    r = null;
                }
                if (r == null) {
                    r = run[q] = alloc.directBuffer(Math.min(GSO_MAX_BYTES, GSO_MAX_SEGMENTS * stride) / stride * stride);
                    runPeer[q] = peer;
                    runStride[q] = stride;
                }
                out = r;
            }
            int o = out.writerIndex();
            VxlanHeader.write(out, o, vni);
            DirectBufferMemory.copy(in, frameOff, out, o + VxlanHeader.LENGTH, frameLen);
            out.writerIndex(o + stride);
            FrameSink s = sink.get();
            if (s != null) s.frame(true, out, o + VxlanHeader.LENGTH, frameLen);
            if (out != run[q]) sender.send(q, new DatagramPacket(out, peer.endpoint()));
            peer.counters().tx(1, frameLen);
            return;
        }
        flush(q); // what the socket holds came first
        int mss = VirtioNetHdr.gsoSize(in, 0);
        int hdr = TcpSegmenter.headerLength(in, frameOff, frameLen);
        // A sane superframe only: a tiny gso_size would make thousands of segments out of one read.
        if ((gsoType != VirtioNetHdr.GSO_TCPV4 && gsoType != VirtioNetHdr.GSO_TCPV6) || hdr < 0 || mss < 64
                || (frameLen - hdr) / mss > 1024) {
            peer.counters().drop(DropReason.TX_ERROR);
            return;
        }
        ByteBuf out = alloc.directBuffer(TcpSegmenter.outputSize(hdr, frameLen, mss));
        try {
            int nseg = TcpSegmenter.segment(in, frameOff, frameLen, hdr, mss, out, vni);
            int stride = VxlanHeader.LENGTH + hdr + mss;
            int total = out.writerIndex();
            FrameSink s = sink.get();
            if (s != null) {
                for (int i = 0, o = 0; i < nseg; i++, o += stride) {
                    s.frame(true, out, o + VxlanHeader.LENGTH, Math.min(stride, total - o) - VxlanHeader.LENGTH);
                }
            }
            if (gso.getAsBoolean() && nseg > 1) {
                int perSend = Math.max(1, Math.min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES / stride));
                for (int o = 0; o < total; o += perSend * stride) {
                    int len = Math.min(perSend * stride, total - o);
                    sender.send(q, new SegmentedDatagramPacket(out.retainedSlice(o, len), stride, peer.endpoint()));
                }
            } else {
                for (int o = 0; o < total; o += stride) {
                    sender.send(q, new DatagramPacket(out.retainedSlice(o, Math.min(stride, total - o)), peer.endpoint()));
                }
            }
            peer.counters().tx(nseg, total - (long) nseg * VxlanHeader.LENGTH);
        } finally {
            out.release();
        }
    }

    /** Hands every pending run to its socket: at the end of each TAP read batch, before the sockets are flushed. */
    void flush() {
        for (int q = 0; q < queues; q++) flush(q);
    }

    private void flush(int q) {
        ByteBuf r = run[q];
        if (r == null) return;
        run[q] = null;
        int stride = runStride[q];
        InetSocketAddress to = runPeer[q].endpoint();
        runPeer[q] = null;
        sender.send(q, r.writerIndex() > stride ? new SegmentedDatagramPacket(r, stride, to) : new DatagramPacket(r, to));
    }
}
