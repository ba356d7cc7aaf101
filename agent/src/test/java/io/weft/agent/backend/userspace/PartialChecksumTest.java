package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.Ipv4Packet;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.packet.VirtioNetHdr;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The receive pipeline with datagrams as a kernel VXLAN peer sends them over a veth with its default offloads
 * (inner checksums partial: the pseudo-header sum in the field) and with corrupted ones: partial packets reach the
 * TAP marked NEEDS_CSUM (TCP data segments and UDP datagrams through the coalescer, which marks everything it
 * writes so), wrong ones are dropped and counted as {@code bad_checksum}, complete ones go as they are. {@code KernelInteropTest} proves the same against the kernel.
 */
class PartialChecksumTest {
    record Written(int length, int csum, int headerFlags) {}

    final InetSocketAddress us = new InetSocketAddress("172.31.0.2", 8472);
    final InetSocketAddress from = new InetSocketAddress("172.31.0.1", 40000);
    final List<Written> written = new ArrayList<>();
    PeerTable peers;
    ByteBuf coalesceBuf;
    Decapsulator decap;
    EmbeddedChannel ch;

    @BeforeEach
    void pipeline() {
        peers = DecapFuzzTest.onePeer();
        coalesceBuf = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
        RxCoalescer co = new RxCoalescer(coalesceBuf, true, (a, l) -> written.add(new Written(l - VirtioNetHdr.LENGTH, -1,
                coalesceBuf.getUnsignedByte(0))));
        decap = new Decapsulator(peers, 1, DecapFuzzTest.OURS.value(), DecapFuzzTest.MTU + 14, () -> null,
                (buf, off, len, csum, gso) -> written.add(new Written(len, csum, -1)), co);
        ch = new EmbeddedChannel(decap.handler());
    }

    @AfterEach
    void release() {
        ch.finishAndReleaseAll();
        coalesceBuf.release();
    }

    PeerCounters counters() {
        return peers.snapshot().byIp(DecapFuzzTest.PEER.value()).counters();
    }

    /** A VXLAN datagram around {@code frame}, addressed to our VtepMAC. */
    ByteBuf datagram(ByteBuf frame, int off, int len) {
        ByteBuf d = PooledByteBufAllocator.DEFAULT.directBuffer(8 + len);
        d.writeInt(0x08000000).writeInt(1 << 8).writeBytes(frame, off, len);
        d.setShort(8, (int) (DecapFuzzTest.OURS.value() >>> 32)).setInt(10, (int) DecapFuzzTest.OURS.value());
        return d;
    }

    void receive(ByteBuf frame, int off, int len) {
        ch.writeInbound(new DatagramPacket(datagram(frame, off, len), us, from));
        ch.checkException();
    }

    /** What the sender's kernel leaves in the field for the device to finish. */
    static void partial(ByteBuf f, int off, int fieldOffset) {
        int l4 = Ipv4Packet.totalLength(f, off + 14) - 20;
        f.setShort(off + 34 + fieldOffset, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(f, off + 14, l4)));
    }

    /** A TCP SYN (not coalescable) or a UDP datagram, with a complete checksum. */
    static ByteBuf packet(boolean tcp, int payload) {
        ByteBuf f = RxCoalescerTest.superframe(payload); // TCP with 12 option bytes, complete checksums below
        if (tcp) {
            f.setByte(34 + 13, 0x02); // SYN
        } else {
            f.setByte(14 + 9, Ipv4Packet.PROTO_UDP);
            f.setShort(34 + 4, f.readableBytes() - 34);
        }
        Ipv4Packet.updateChecksum(f, 14);
        partial(f, 0, tcp ? 16 : 6); // then finished, as a device does
        TcpSegmenter.completeChecksum(f, 0, f.readableBytes(), 34, tcp ? 16 : 6);
        return f;
    }

    @Test
    void partialPacketsGoToTheTapToBeFinished() {
        ByteBuf syn = packet(true, 0);
        partial(syn, 0, 16);
        receive(syn, 0, syn.readableBytes());
        ByteBuf udp = packet(false, 64);
        partial(udp, 0, 6);
        receive(udp, 0, udp.readableBytes());
        // the SYN is written directly, the datagram through the coalescer (header flags = NEEDS_CSUM)
        assertEquals(List.of(new Written(syn.readableBytes(), TapPort.csum(34, 16), -1),
                new Written(udp.readableBytes(), -1, VirtioNetHdr.F_NEEDS_CSUM)), written);
        assertEquals(2, decap.partialChecksums());
        assertEquals(2, counters().rxPackets());
    }

    @Test
    void completePacketsGoAsTheyAre() {
        ByteBuf syn = packet(true, 0);
        receive(syn, 0, syn.readableBytes());
        ByteBuf udp = packet(false, 64);
        receive(udp, 0, udp.readableBytes());
        assertEquals(List.of(new Written(syn.readableBytes(), 0, -1),
                new Written(udp.readableBytes(), -1, VirtioNetHdr.F_NEEDS_CSUM)), written);
        assertEquals(0, decap.partialChecksums());
    }

    @Test
    void wrongChecksumsAreDroppedAndCounted() {
        ByteBuf udp = packet(false, 64);
        udp.setByte(60, udp.getByte(60) ^ 0x40); // a flipped payload bit
        receive(udp, 0, udp.readableBytes());
        ByteBuf syn = packet(true, 0);
        partial(syn, 0, 16);
        syn.setShort(34 + 16, syn.getUnsignedShort(34 + 16) + 1); // neither right nor partial
        receive(syn, 0, syn.readableBytes());
        assertEquals(List.of(), written);
        assertEquals(2, counters().drops(DropReason.BAD_CHECKSUM));
        assertEquals(0, counters().rxPackets());
    }

    /** A kernel peer's TCP stream arrives as partial segments: they still join into one superframe. */
    @Test
    void partialSegmentsAreCoalesced() {
        ByteBuf in = RxCoalescerTest.superframe(14_000);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        ByteBuf segs = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            int n = TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, 1398, segs, 1);
            int stride = 8 + hdr + 1398;
            Object[] batch = new Object[n]; // one recvmmsg batch: one channelReadComplete after all of them
            for (int i = 0; i < n; i++) {
                int o = i * stride + 8;
                int len = Math.min(stride, segs.writerIndex() - i * stride) - 8;
                partial(segs, o, 16);
                batch[i] = new DatagramPacket(datagram(segs, o, len), us, from);
            }
            ch.writeInbound(batch);
            ch.checkException();
            assertEquals(1, written.size(), "one superframe: " + written);
            assertEquals(in.readableBytes(), written.getFirst().length());
            assertEquals(VirtioNetHdr.F_NEEDS_CSUM, written.getFirst().headerFlags());
            assertEquals(n, decap.partialChecksums());
            assertTrue(decap.coalesceStats()[1] == n, "segments coalesced: " + decap.coalesceStats()[1]);
        } finally {
            segs.release();
        }
    }
}
