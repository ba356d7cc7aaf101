package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.Ipv4Packet;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.packet.VirtioNetHdr;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Segment a superframe the way the transmit side does, coalesce the pieces back: the same frame comes out. UDP
 * datagrams of one flow join into one UDP L4 superframe the same way.
 */
class RxCoalescerTest {
    static ByteBuf superframe(int payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(0x0a00).writeInt(2).writeShort(0x0a00).writeInt(1).writeShort(0x0800);
        b.writeByte(0x45).writeByte(0).writeShort(20 + 32 + payload).writeShort(9).writeShort(0x4000)
                .writeByte(64).writeByte(6).writeShort(0).writeInt(0x0af40105).writeInt(0x0af40205);
        b.writeShort(40000).writeShort(5201).writeInt(1000).writeInt(77).writeByte(0x80).writeByte(0x18)
                .writeShort(502).writeShort(0).writeShort(0);
        b.writeBytes(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
        byte[] p = new byte[payload];
        new SplittableRandom(payload).nextBytes(p);
        b.writeBytes(p);
        return b;
    }

    record Written(byte[] bytes) {}

    @Test
    void segmentsComeBackAsOneSuperframe() {
        int payload = 20_000;
        int mss = 1398;
        ByteBuf in = superframe(payload);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        // pooled and direct, as recvmmsg leaves datagrams: the coalescer parses by native address
        ByteBuf segs = PooledByteBufAllocator.DEFAULT.directBuffer();
        int n = TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, mss, segs, 1);
        List<Written> out = new ArrayList<>();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) -> {
                out.add(new Written(MemorySegment.ofAddress(addr).reinterpret(len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                return true;
            });
            PeerCounters pc = new PeerCounters("t");
            int stride = 8 + hdr + mss;
            for (int i = 0; i < n; i++) {
                int o = i * stride + 8;
                int len = Math.min(stride, segs.writerIndex() - i * stride) - 8;
                assertEquals(true, co.offer(segs, o, len, pc));
            }
            co.flush();
            assertEquals(1, out.size(), "one write for " + n + " segments (PSH on the last flushes)");
            ByteBuf w = Unpooled.wrappedBuffer(out.getFirst().bytes());
            assertEquals(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.flags(w, 0));
            assertEquals(VirtioNetHdr.GSO_TCPV4, VirtioNetHdr.gsoType(w, 0));
            assertEquals(mss, VirtioNetHdr.gsoSize(w, 0));
            assertEquals(hdr, VirtioNetHdr.hdrLen(w, 0));
            assertEquals(34, VirtioNetHdr.csumStart(w, 0));
            assertEquals(16, VirtioNetHdr.csumOffset(w, 0));
            int f = VirtioNetHdr.LENGTH;
            assertEquals(in.readableBytes(), w.readableBytes() - f);
            assertEquals(20 + 32 + payload, Ipv4Packet.totalLength(w, f + 14));
            assertEquals(true, Ipv4Packet.headerChecksumOk(w, f + 14));
            // completing the partial checksum gives a valid TCP checksum over the whole superframe
            TcpSegmenter.completeChecksum(w, f, w.readableBytes() - f, 34, 16);
            int l4 = w.readableBytes() - f - 34;
            assertEquals(0, Checksum.fold(Checksum.sum(w, f + 34, l4, Ipv4Packet.pseudoHeaderSum(w, f + 14, l4))));
            byte[] a = new byte[payload];
            byte[] b = new byte[payload];
            in.getBytes(hdr, a);
            w.getBytes(f + hdr, b);
            assertArrayEquals(a, b);
            assertEquals(1, co.superframes());
            assertEquals(n, co.coalescedSegments());
        } finally {
            direct.release();
            segs.release();
        }
    }

    @Test
    void aGapBreaksTheRun() {
        ByteBuf in = superframe(6000);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        // pooled and direct, as recvmmsg leaves datagrams: the coalescer parses by native address
        ByteBuf segs = PooledByteBufAllocator.DEFAULT.directBuffer();
        TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, 1000, segs, 1);
        int stride = 8 + hdr + 1000;
        List<byte[]> out = new ArrayList<>();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) ->
                    out.add(MemorySegment.ofAddress(addr).reinterpret(len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            PeerCounters pc = new PeerCounters("t");
            co.offer(segs, 8, stride - 8, pc);
            co.offer(segs, stride + 8, stride - 8, pc);
            co.offer(segs, 3 * stride + 8, stride - 8, pc); // segment 2 missing: a new run starts
            co.flush();
            assertEquals(List.of(VirtioNetHdr.LENGTH + hdr + 2000, VirtioNetHdr.LENGTH + hdr + 1000),
                    out.stream().map(b -> b.length).toList());
            // the lone segment goes as it came, but checksum partial, like the superframe: the kernel finishes it
            ByteBuf lone = Unpooled.wrappedBuffer(out.get(1));
            assertEquals(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.flags(lone, 0));
            assertEquals(VirtioNetHdr.GSO_NONE, VirtioNetHdr.gsoType(lone, 0));
            assertEquals(34, VirtioNetHdr.csumStart(lone, 0));
            assertEquals(16, VirtioNetHdr.csumOffset(lone, 0));
            int f = VirtioNetHdr.LENGTH;
            TcpSegmenter.completeChecksum(lone, f, lone.readableBytes() - f, 34, 16);
            for (int i = 0; i < lone.readableBytes() - f; i++) {
                assertEquals(segs.getByte(3 * stride + 8 + i), lone.getByte(f + i), "byte " + i + " of the finished segment");
            }
        } finally {
            direct.release();
            segs.release();
        }
    }

    /** A UDP/IPv4 frame of one flow, payload {@code payload} bytes, checksum complete. */
    static ByteBuf udp(int payload, int id, long seed) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeShort(0x0a00).writeInt(2).writeShort(0x0a00).writeInt(1).writeShort(0x0800);
        b.writeByte(0x45).writeByte(0).writeShort(28 + payload).writeShort(id).writeShort(0x4000)
                .writeByte(64).writeByte(17).writeShort(0).writeInt(0x0af40105).writeInt(0x0af40205);
        Ipv4Packet.updateChecksum(b, 14);
        b.writeShort(40000).writeShort(5201).writeShort(8 + payload).writeShort(0);
        byte[] p = new byte[payload];
        new SplittableRandom(seed).nextBytes(p);
        b.writeBytes(p);
        b.setShort(34 + 6, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(b, 14, 8 + payload)));
        TcpSegmenter.completeChecksum(b, 0, b.readableBytes(), 34, 6);
        return b;
    }

    /** 20 datagrams of 64 bytes and a shorter one: one UDP L4 superframe that cuts back into the same datagrams. */
    @Test
    void udpDatagramsOfOneFlowJoin() {
        List<byte[]> out = new ArrayList<>();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        List<ByteBuf> sent = new ArrayList<>();
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) ->
                    out.add(MemorySegment.ofAddress(addr).reinterpret(len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            PeerCounters pc = new PeerCounters("t");
            for (int i = 0; i < 21; i++) {
                ByteBuf d = udp(i < 20 ? 64 : 30, 100 + i, i);
                sent.add(d);
                assertEquals(true, co.offer(d, 0, d.readableBytes(), pc));
            }
            assertEquals(1, out.size(), "the short datagram ends the run");
            ByteBuf w = Unpooled.wrappedBuffer(out.getFirst());
            assertEquals(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.flags(w, 0));
            assertEquals(VirtioNetHdr.GSO_UDP_L4, VirtioNetHdr.gsoType(w, 0));
            assertEquals(64, VirtioNetHdr.gsoSize(w, 0));
            assertEquals(42, VirtioNetHdr.hdrLen(w, 0));
            assertEquals(34, VirtioNetHdr.csumStart(w, 0));
            assertEquals(6, VirtioNetHdr.csumOffset(w, 0));
            int f = VirtioNetHdr.LENGTH;
            assertEquals(20 * 64 + 30 + 42, w.readableBytes() - f);
            assertEquals(20 * 64 + 30 + 28, Ipv4Packet.totalLength(w, f + 14));
            assertEquals(20 * 64 + 30 + 8, w.getUnsignedShort(f + 34 + 4), "UDP length of the whole");
            assertEquals(true, Ipv4Packet.headerChecksumOk(w, f + 14));
            for (int i = 0; i < 21; i++) {
                ByteBuf d = sent.get(i);
                int plen = d.readableBytes() - 42;
                for (int j = 0; j < plen; j++) {
                    assertEquals(d.getByte(42 + j), w.getByte(f + 42 + i * 64 + j), "datagram " + i + " byte " + j);
                }
            }
            assertEquals(1, co.superframes());
            assertEquals(21, co.coalescedSegments());
        } finally {
            direct.release();
            sent.forEach(ByteBuf::release);
        }
    }

    /** A datagram of another flow, or a longer one, starts a new run; TCP and UDP never mix. */
    @Test
    void udpRunsBreakOnFlowSizeAndProtocol() {
        List<Integer> lens = new ArrayList<>();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        List<ByteBuf> sent = new ArrayList<>();
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) -> lens.add(len - VirtioNetHdr.LENGTH));
            PeerCounters pc = new PeerCounters("t");
            ByteBuf a = udp(64, 1, 1);
            ByteBuf b = udp(64, 2, 2);
            ByteBuf otherPort = udp(64, 3, 3);
            otherPort.setShort(34, 40001);
            ByteBuf longer = udp(100, 4, 4);
            ByteBuf tcp = RxCoalescerTest.superframe(64);
            int tcpLen = tcp.readableBytes();
            ByteBuf tcpDirect = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(tcp);
            sent.addAll(List.of(a, b, otherPort, longer, tcpDirect));
            for (ByteBuf d : sent) co.offer(d, 0, d.readableBytes(), pc);
            co.flush();
            assertEquals(List.of(2 * 64 + 42, 64 + 42, 100 + 42, tcpLen), lens);
        } finally {
            direct.release();
            sent.forEach(ByteBuf::release);
        }
    }

    /** A buffer without a native address (the datapath's never are) is not parsed: the caller writes it as it came. */
    @Test
    void aHeapBufferIsNotCoalesced() {
        ByteBuf in = superframe(3000);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        ByteBuf segs = Unpooled.buffer();
        TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, 1000, segs, 1);
        List<Integer> lens = new ArrayList<>();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) -> lens.add(len));
            assertEquals(false, co.offer(segs, 8, hdr + 1000, new PeerCounters("t")));
            assertEquals(List.of(), lens);
        } finally {
            direct.release();
        }
    }

    /**
     * The "no allocation per packet", receive side: joining the 46 segments of a 64 KiB superframe, read
     * into a pooled direct buffer as recvmmsg leaves them, allocates no object per segment (with the payload copy
     * put back through Netty it was ~2.9 KB per superframe).
     */
    @Test
    void coalescingAllocatesNothingPerSegment() {
        // PARANOID leak detection (the tests' setting) records a stack trace per buffer access: off while measuring
        io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        ByteBuf in = superframe(64_000);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        ByteBuf segs = PooledByteBufAllocator.DEFAULT.directBuffer(TcpSegmenter.outputSize(hdr, in.readableBytes(), 1398));
        int n = TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, 1398, segs, 1);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536);
        int[] writes = new int[1];
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try {
            RxCoalescer co = new RxCoalescer(direct, true, (addr, len) -> ++writes[0] > 0);
            PeerCounters pc = new PeerCounters("t");
            int stride = 8 + hdr + 1398;
            Runnable once = () -> {
                for (int i = 0; i < n; i++) co.offer(segs, i * stride + 8, Math.min(stride, segs.writerIndex() - i * stride) - 8, pc);
                co.flush();
            };
            for (int i = 0; i < 3000; i++) once.run(); // past the JIT's warm-up
            long before = threads.getCurrentThreadAllocatedBytes();
            int rounds = 2000;
            for (int i = 0; i < rounds; i++) once.run();
            long perSuperframe = (threads.getCurrentThreadAllocatedBytes() - before) / rounds;
            assertEquals(5000, writes[0], "one TAP write per superframe");
            assertEquals(true, perSuperframe < 64, perSuperframe + " bytes allocated per superframe of " + n + " segments");
        } finally {
            segs.release();
            direct.release();
            io.netty.util.ResourceLeakDetector.setLevel(level);
        }
    }
}
