package io.weft.agent.backend.userspace;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import io.weft.core.packet.FlowHash;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.vxlan.VxlanHeader;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Per-packet cost of the datapath's Java work (no syscalls): encapsulating one full-MTU frame (flow hash,
 * pooled buffer, header, copy), decapsulating one datagram (all checks, counters; the TAP write replaced by
 * a no-op), segmenting a 64 KiB TSO superframe, and coalescing segments back. Run with bench/jmh.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EncapDecapBenchmark {
    static final MacAddress OURS = MacAddress.parse("0a:00:00:00:00:02");
    ByteBuf frame;      // a 1464-byte inner TCP frame (full 1450 MTU)
    ByteBuf datagram;   // the same, VXLAN-wrapped
    ByteBuf superframe; // 64 KiB TSO superframe
    ByteBuf segments;
    int hdr;
    int nseg;
    Decapsulator dp;
    PeerCounters counters;
    RxCoalescer coalescer;
    ByteBuf coalesceBuf;

    @Setup(Level.Trial)
    public void setup() {
        var alloc = PooledByteBufAllocator.DEFAULT;
        ByteBuf f = RxCoalescerTest.superframe(1450 - 52);
        f.setShort(0, (int) (OURS.value() >>> 32));
        f.setInt(2, (int) OURS.value());
        // a complete TCP checksum, as a NIC-like underlay delivers it (0 would be dropped as bad_checksum)
        int l4 = f.readableBytes() - 34;
        f.setShort(34 + 16, io.weft.core.packet.Checksum.fold(io.weft.core.packet.Checksum.sum(f, 34, l4,
                io.weft.core.packet.Ipv4Packet.pseudoHeaderSum(f, 14, l4))));
        frame = alloc.directBuffer(f.readableBytes()).writeBytes(f, f.readerIndex(), f.readableBytes());
        datagram = alloc.directBuffer(8 + f.readableBytes());
        VxlanHeader.write(datagram, 0, 1);
        datagram.writerIndex(8).writeBytes(f);
        ByteBuf s = RxCoalescerTest.superframe(65000 - 66);
        superframe = alloc.directBuffer(s.readableBytes()).writeBytes(s);
        hdr = TcpSegmenter.headerLength(superframe, 0, superframe.readableBytes());
        segments = alloc.directBuffer(TcpSegmenter.outputSize(hdr, superframe.readableBytes(), 1398));
        nseg = TcpSegmenter.segment(superframe, 0, superframe.readableBytes(), hdr, 1398, segments, 1);
        PeerTable peers = new PeerTable(8472);
        peers.set(List.of(new PeerTable.Entry(MacAddress.parse("0a:00:00:00:00:01"), Ipv4Address.parse("172.31.0.1"))));
        dp = new Decapsulator(peers, 1, OURS.value(), 1450 + 14, () -> null, (b, o, l, c, g) -> true, null);
        counters = peers.snapshot().peers().getFirst().counters();
        if (dp.decap(counters, datagram, 0, datagram.readableBytes()) <= 0) {
            throw new IllegalStateException("benchmark datagram is dropped: " + java.util.Arrays.stream(DropReason.values())
                    .filter(r -> counters.drops(r) > 0).map(DropReason::label).toList());
        }
        coalesceBuf = alloc.directBuffer(10 + 65536);
        coalescer = new RxCoalescer(coalesceBuf, true, (a, l) -> true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        frame.release();
        datagram.release();
        superframe.release();
        segments.release();
        coalesceBuf.release();
    }

    /** What encap does per plain frame before handing it to Netty. */
    @Benchmark
    public int encapFullMtuFrame() {
        int len = frame.readableBytes();
        int h = FlowHash.hash(frame, 0, len);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(8 + len);
        VxlanHeader.write(out, 0, 1);
        out.setBytes(8, frame, 0, len);
        out.writerIndex(8 + len);
        int r = out.readableBytes() + h;
        out.release();
        return r;
    }

    @Benchmark
    public int decapFullMtuDatagram() {
        return dp.decap(counters, datagram, 0, datagram.readableBytes());
    }

    /** One 64 KiB superframe into ~46 checksummed segments with VXLAN headers (divide by nseg for per-packet). */
    @Benchmark
    public int segmentTso64k() {
        segments.clear();
        return TcpSegmenter.segment(superframe, 0, superframe.readableBytes(), hdr, 1398, segments, 1);
    }

    /** The ~46 segments coalesced back into one superframe (checksum verified per segment). */
    @Benchmark
    public long coalesce64k() {
        return coalesceSegments(false);
    }

    /**
     * The same, each segment offered as Netty's receive hands it over: a retained slice of the one recvmmsg buffer
     * (every read then goes through the slice to the pooled buffer under it).
     */
    @Benchmark
    public long coalesce64kFromSlices() {
        return coalesceSegments(true);
    }

    private long coalesceSegments(boolean asSlices) {
        int stride = 8 + hdr + 1398;
        int total = segments.writerIndex();
        for (int i = 0; i < nseg; i++) {
            int o = i * stride;
            int len = Math.min(stride, total - o);
            if (!asSlices) {
                coalescer.offer(segments, o + 8, len - 8, counters);
                continue;
            }
            ByteBuf datagram = segments.retainedSlice(o, len);
            try {
                coalescer.offer(datagram, 8, len - 8, counters);
            } finally {
                datagram.release();
            }
        }
        coalescer.flush();
        return coalescer.superframes();
    }
}
