package io.weft.agent.backend.userspace;

import io.weft.agent.capture.FrameSink;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.InnerChecksum;
import io.weft.core.vxlan.VxlanHeader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The receive path of the userspace VTEP, wire to TAP: a datagram from a known peer's PublicIP is cut into its
 * VXLAN payloads (one, or a UDP_GRO train of them), each is checked (flags, VNI, length, destination MAC) and
 * its inner frame's TCP/UDP checksum inspected ({@link InnerChecksum}: a partial one is handed to the TAP to finish,
 * a wrong one dropped), and the frame handed to the TCP coalescer or written to the TAP; what fails a check is
 * counted by reason.
 * Runs on the receive event loop only.
 */
final class Decapsulator {
    private static final Logger LOG = Logger.getLogger(Decapsulator.class.getName());
    /**
     * A receive slot for one UDP_GRO train: GRO stops merging before 64 KiB (the default gro_ipv4_max_size; an
     * underlay tuned for BIG TCP could make longer trains, which would be cut).
     */
    static final int GRO_SLOT = 65536;
    /** The longest inner frame a datagram can hold: a kernel peer's TCP superframe fills at most a 64 KiB datagram. */
    static final int MAX_SUPERFRAME = GRO_SLOT - VxlanHeader.LENGTH;
    /** The shortest second datagram of a train: VXLAN, Ethernet and an IPv4 header. */
    private static final int MIN_PIECE = VxlanHeader.LENGTH + EthernetFrame.HEADER_LENGTH + 20;

    /** Where decapsulated frames go: the TAP, or a test's stand-in. */
    @FunctionalInterface
    interface FrameOutput {
        /**
         * @param csum    0, or where a checksum to finish lies ({@link TapPort#csum})
         * @param gsoSize 0, or the segment size of a TCP superframe over IPv4 or IPv6 (the kernel cuts it where it must)
         */
        boolean write(ByteBuf buf, int offset, int length, int csum, int gsoSize);
    }

    private final PeerTable peers;
    private final int vni;
    private final long localMac;
    private final int maxFrame;
    private final Supplier<FrameSink> sink;
    private final FrameOutput output;
    private final RxCoalescer coalescer; // null when coalescing is off or in tests
    /** Whether an overlong datagram may be a UDP_GRO train to cut: only when the socket has UDP_GRO. */
    private volatile boolean cutTrains = true;
    private boolean warnedLongTrain;
    private volatile long trains; // written by the receive loop only
    private volatile long trainDatagrams;
    private volatile long partialChecksums;

    /**
     * @param maxFrame  the longest inner frame accepted (overlay MTU + Ethernet header)
     * @param sink      the capture in progress, if any
     * @param coalescer joins TCP segments into superframes before the TAP; null writes each frame as it is
     */
    Decapsulator(PeerTable peers, int vni, long localMac, int maxFrame, Supplier<FrameSink> sink, FrameOutput output,
                 RxCoalescer coalescer) {
        this.peers = peers;
        this.vni = vni;
        this.localMac = localMac;
        this.maxFrame = maxFrame;
        this.sink = sink;
        this.output = output;
        this.coalescer = coalescer;
    }

    /** Off when the socket has no UDP_GRO: an overlong datagram is then one oversize datagram, never a train. */
    void cutTrains(boolean on) {
        cutTrains = on;
    }

    /** The channel handler for the VXLAN port's socket. */
    ChannelInboundHandlerAdapter handler() {
        return new RxHandler();
    }

    /** {trains received, datagrams cut out of them}. */
    long[] groStats() {
        return new long[] {trains, trainDatagrams};
    }

    /** Inner TCP/UDP packets whose checksum came partial (from a kernel peer over a veth) and were finished. */
    long partialChecksums() {
        return partialChecksums;
    }

    /** {superframes written, segments joined into them}. */
    long[] coalesceStats() {
        RxCoalescer c = coalescer;
        return c == null ? new long[2] : new long[] {c.superframes(), c.coalescedSegments()};
    }

    private final class RxHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p) {
                try {
                    onDatagram(p);
                } catch (RuntimeException e) {
                    peers.unknown().drop(DropReason.RUNT);
                } finally {
                    p.release();
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (coalescer != null) coalescer.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.fine("receive error: " + cause);
        }
    }

    private void onDatagram(DatagramPacket p) {
        InetSocketAddress sender = p.sender();
        InetAddress from = sender == null ? null : sender.getAddress();
        // Inet4Address.hashCode() is its 32-bit address: no byte[] per packet. An IPv6 sender (the flannel-v6 VTEP's
        // socket) is looked up by its InetAddress, whose hash and equality read its bytes in place.
        Peer peer = from instanceof Inet4Address ? peers.snapshot().byIp(from.hashCode())
                : from != null ? peers.snapshot().byIp6(from) : null;
        if (peer == null) {
            peers.unknown().drop(DropReason.UNKNOWN_SOURCE);
            return;
        }
        ByteBuf c = p.content();
        int off = c.readerIndex();
        int len = c.readableBytes();
        // Every datagram may be a train, a short one too: 10 small datagrams make one of ~1 KB. (Cutting only what was
        // longer than the MTU delivered the first datagram of a short train and lost the rest.)
        int seg = cutTrains ? trainSegmentLength(c, off, len) : -1;
        if (seg < 0) {
            decap(peer.counters(), c, off, len);
            return;
        }
        int end = off + len;
        if (len >= GRO_SLOT) {
            // Filled the slot, so cut short: the underlay merges past 64 KiB (gro_ipv4_max_size raised for BIG TCP).
            // Deliver the whole datagrams, count the cut one.
            end = off + len / seg * seg;
            peer.counters().drop(DropReason.OVERSIZE);
            if (!warnedLongTrain) {
                warnedLongTrain = true;
                LOG.warning("UDP_GRO trains from " + sender.getAddress().getHostAddress() + " are longer than " + GRO_SLOT
                        + " bytes and get cut (gro_ipv4_max_size raised on the underlay?): lower it to 65536 or set WEFT_USERSPACE_UDP_GRO=0");
            }
        }
        int n = 0;
        for (; off < end; off += seg, n++) decap(peer.counters(), c, off, Math.min(seg, end - off));
        trains++;
        trainDatagrams += n;
    }

    /**
     * The datagram length in a UDP_GRO train that recvmmsg returned whole (Netty reads the segment size only with
     * recvmsg): GRO joins only same-length datagrams of one flow, the last one possibly shorter, so the first inner
     * IPv4 or IPv6 packet's length gives them all. -1 when it is no train: one datagram (what follows its inner
     * packet is too short for another: at most Ethernet padding, 26 bytes), or one oversize datagram.
     */
    static int trainSegmentLength(ByteBuf c, int off, int len) {
        int eth = off + VxlanHeader.LENGTH;
        int ip = eth + EthernetFrame.HEADER_LENGTH;
        if (len < VxlanHeader.LENGTH + EthernetFrame.HEADER_LENGTH + 40) return -1;
        int seg = switch (c.getUnsignedShort(eth + 12)) {
            case 0x0800 -> c.getUnsignedShort(ip + 2); // IPv4 total length
            case 0x86dd -> 40 + c.getUnsignedShort(ip + 4); // IPv6 header + payload length
            default -> -1;
        };
        if (seg < 20) return -1;
        seg += VxlanHeader.LENGTH + EthernetFrame.HEADER_LENGTH;
        return seg + MIN_PIECE <= len ? seg : -1;
    }

    /** Checks one VXLAN payload and writes its frame to the TAP, or counts why not. Visible for tests and JMH. */
    int decap(PeerCounters counters, ByteBuf c, int off, int len) {
        int v = VxlanHeader.check(c, off, len, vni);
        if (v != VxlanHeader.OK) {
            counters.drop(v == VxlanHeader.RUNT ? DropReason.RUNT : v == VxlanHeader.BAD_FLAGS ? DropReason.BAD_FLAGS
                    : DropReason.WRONG_VNI);
            return -1;
        }
        int frameOff = off + VxlanHeader.LENGTH;
        int frameLen = len - VxlanHeader.LENGTH;
        if (frameLen > maxFrame && frameLen > MAX_SUPERFRAME) {
            counters.drop(DropReason.OVERSIZE);
            return -1;
        }
        long dst = EthernetFrame.dst(c, frameOff);
        if (dst != localMac && !EthernetFrame.isGroup(dst)) {
            counters.drop(DropReason.NOT_OUR_MAC);
            return -1;
        }
        long a = DirectBufferMemory.addressable(c) ? DirectBufferMemory.address(c, frameOff, frameLen) : 0;
        int csum = a != 0 ? InnerChecksum.inspect(a, frameLen) : InnerChecksum.UNCHECKED;
        int gsoSize = 0;
        if (frameLen > maxFrame && (gsoSize = superframeSegmentSize(a, csum)) <= 0) {
            counters.drop(DropReason.OVERSIZE);
            return -1;
        }
        FrameSink s = sink.get();
        if (s != null) s.frame(false, c, frameOff, frameLen);
        if (csum == InnerChecksum.BAD) {
            counters.drop(DropReason.BAD_CHECKSUM);
            return -1;
        }
        if (InnerChecksum.partial(csum)) partialChecksums++;
        if (gsoSize == 0 && coalescer != null && InnerChecksum.deliverable(csum)
                && coalescer.offer(c, frameOff, frameLen, counters)) {
            counters.rx(frameLen);
            return frameLen;
        }
        if (gsoSize > 0 && coalescer != null) coalescer.flush(); // what it holds came first
        int finish = InnerChecksum.partial(csum) ? TapPort.csum(InnerChecksum.start(csum), InnerChecksum.offset(csum)) : 0;
        if (!output.write(c, frameOff, frameLen, finish, gsoSize)) {
            counters.drop(DropReason.TAP_WRITE);
            return -1;
        }
        counters.rx(frameLen);
        return frameLen;
    }

    /**
     * The segment size for a TCP frame (over IPv4 or IPv6) longer than the overlay MTU: a kernel peer's GSO superframe, or 0 when
     * it is none. A kernel VXLAN node on a veth underlay (Docker, kind, netns) hands the veth its TSO superframes
     * whole, and the veth carries them to this socket whole: one datagram of up to 64 KiB holding one TCP packet
     * with a partial checksum (a GSO skb's always is; it cannot come off a real wire, where frames are at most the
     * MTU). Its segment size stayed in the sender's skb, so the TAP gets the largest the overlay MTU allows for
     * these headers, which is what the sender used unless the pod's MSS was clamped lower; the receiving stack
     * takes it either way.
     */
    private int superframeSegmentSize(long a, int csum) {
        if (!InnerChecksum.partial(csum) || InnerChecksum.offset(csum) != 16) return 0; // partial TCP only
        int tcp = InnerChecksum.start(csum);
        int doff = (DirectBufferMemory.u8(a + tcp + 12) >>> 4) * 4;
        return maxFrame - tcp - doff;
    }
}
