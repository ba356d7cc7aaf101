package io.weft.agent.backend.userspace;

import io.weft.agent.capture.FrameSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.weft.core.vxlan.DirectBufferMemory;
import io.weft.core.vxlan.EthernetFrame;
import io.weft.core.vxlan.FlowHash;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.vxlan.VirtioNetHdr;
import io.weft.core.vxlan.VxlanHeader;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The transmit path's work per frame, TAP to wire: the destination MAC picks the peer (no FDB entry: dropped
 * and counted), a plain frame gets its partial checksum completed and a VXLAN header, a TSO superframe is cut
 * into checksummed segments, each with its header, sent as UDP GSO runs (or one datagram each). The flow's hash
 * picks the send socket, so the outer source port follows the inner flow as the kernel's does. Runs on the
 * transmit event loop only; the datapath owns the sockets, flushing and flow control.
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
            ByteBuf out = alloc.directBuffer(VxlanHeader.LENGTH + frameLen);
            VxlanHeader.write(out, 0, vni);
            DirectBufferMemory.copy(in, frameOff, out, VxlanHeader.LENGTH, frameLen);
            out.writerIndex(VxlanHeader.LENGTH + frameLen);
            FrameSink s = sink.get();
            if (s != null) s.frame(true, out, VxlanHeader.LENGTH, frameLen);
            sender.send(q, new DatagramPacket(out, peer.endpoint()));
            peer.counters().tx(1, frameLen);
            return;
        }
        int mss = VirtioNetHdr.gsoSize(in, 0);
        int hdr = TcpSegmenter.headerLength(in, frameOff, frameLen);
        // A sane superframe only: a tiny gso_size would make thousands of segments out of one read.
        if (gsoType != VirtioNetHdr.GSO_TCPV4 || hdr < 0 || mss < 64 || (frameLen - hdr) / mss > 1024) {
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
}
