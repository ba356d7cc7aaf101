package io.weft.core.packet;

import static io.weft.core.packet.Ipv6Frames.TCP;
import static io.weft.core.packet.Ipv6Frames.UDP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.weft.core.packet.InnerChecksumTest.Kind;
import io.weft.core.vxlan.TcpSegmenter;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * IPv6 inside the userspace datapath's offloads: the pseudo-header checksum, partial-checksum detection and
 * completion, TSO segmentation of TCPv6 superframes, receive coalescing of TCP and UDP over IPv6, and the flow hash.
 * Table-driven in the manner of wireguard-go's {@code tun/offload_linux_test.go}; every checksum is compared with
 * {@link Ipv6Frames#reference}, computed independently of {@link Checksum}.
 */
class Ipv6OffloadTest {
    record Case(String name, int proto, int payload, Consumer<ByteBuf> make, Kind want, int start, int offset) {}

    static final List<Case> INSPECT = List.of(
            new Case("tcp complete", TCP, 1000, Ipv6Frames::complete, Kind.VALID, 54, 16),
            new Case("tcp partial (kernel peer over a veth: tcp_v6_send_check)", TCP, 1000, Ipv6Frames::makePartial,
                    Kind.PARTIAL, 54, 16),
            new Case("tcp partial, no payload", TCP, 0, Ipv6Frames::makePartial, Kind.PARTIAL, 54, 16),
            new Case("tcp odd length, complete", TCP, 999, Ipv6Frames::complete, Kind.VALID, 54, 16),
            new Case("tcp complete, one payload bit flipped", TCP, 1000, f -> {
                Ipv6Frames.complete(f);
                f.setByte(f.writerIndex() - 3, f.getByte(f.writerIndex() - 3) ^ 0x04);
            }, Kind.BAD, 0, 0),
            new Case("tcp complete, an address bit flipped (the pseudo-header counts)", TCP, 100, f -> {
                Ipv6Frames.complete(f);
                f.setByte(14 + 8 + 15, f.getByte(14 + 8 + 15) ^ 0x01);
            }, Kind.BAD, 0, 0),
            new Case("udp complete", UDP, 64, Ipv6Frames::complete, Kind.VALID, 54, 6),
            new Case("udp partial (udp6_hwcsum_outgoing)", UDP, 64, Ipv6Frames::makePartial, Kind.PARTIAL, 54, 6),
            new Case("udp wrong", UDP, 64, f -> {
                Ipv6Frames.complete(f);
                f.setShort(Ipv6Frames.field(f), f.getUnsignedShort(Ipv6Frames.field(f)) ^ 0x0100);
            }, Kind.BAD, 0, 0),
            new Case("udp zero checksum (invalid over IPv6: left to the kernel)", UDP, 64, f -> { }, Kind.UNCHECKED, 0, 0),
            new Case("udp length disagrees with IPv6 payload length", UDP, 64, f -> {
                Ipv6Frames.complete(f);
                f.setShort(54 + 4, 20);
            }, Kind.UNCHECKED, 0, 0),
            new Case("tcp complete, Ethernet padding after the packet", TCP, 2, f -> {
                Ipv6Frames.complete(f);
                f.writeZero(6);
            }, Kind.VALID, 54, 16),
            new Case("payload length past the frame", TCP, 100, f -> {
                Ipv6Frames.makePartial(f);
                f.setShort(14 + 4, 3000);
            }, Kind.UNCHECKED, 0, 0),
            new Case("an extension header first (hop-by-hop)", TCP, 100, f -> {
                Ipv6Frames.makePartial(f);
                f.setByte(14 + 6, 0);
            }, Kind.UNCHECKED, 0, 0),
            new Case("ICMPv6", 58, 56, f -> { }, Kind.UNCHECKED, 0, 0),
            new Case("EtherType IPv6, version 4", TCP, 100, f -> {
                Ipv6Frames.makePartial(f);
                f.setByte(14, 0x45);
            }, Kind.UNCHECKED, 0, 0));

    @Test
    void innerChecksumTable() {
        for (Case c : INSPECT) {
            InnerChecksumTest.check(c.name(), Ipv6Frames.frame(c.proto(), 0, c.payload(), 1000, c.name().hashCode()), c.make(),
                    c.want(), c.start(), c.offset());
        }
    }

    /** weft's pseudo-header sum and checksum agree with the independent computation, odd lengths too. */
    @Test
    void pseudoHeaderChecksumMatchesTheReference() {
        for (int proto : new int[] {TCP, UDP}) {
            for (int payload : new int[] {0, 1, 2, 15, 16, 17, 999, 1440, 8191}) {
                ByteBuf f = Ipv6Frames.frame(proto, 0, payload, 7, payload * 31L + proto);
                try {
                    int l4 = Ipv6Packet.payloadLength(f, 14);
                    assertEquals(Ipv6Frames.pseudo(f, 14), Checksum.foldNoComplement(Ipv6Packet.pseudoHeaderSum(f, 14, l4)));
                    long at = DirectBufferMemory.address(f, 0, f.writerIndex());
                    assertEquals(Ipv6Frames.pseudo(f, 14), Checksum.foldNoComplement(Ipv6Packet.pseudoHeaderSumAt(at + 14, l4)));
                    int weft = Checksum.fold(Checksum.sum(f, 54, l4, Ipv6Packet.pseudoHeaderSum(f, 14, l4)));
                    int ref = Ipv6Frames.reference(f, 14, Ipv6Frames.field(f));
                    assertEquals(ref == 0xffff && proto == UDP ? 0 : ref, weft, proto + "/" + payload);
                } finally {
                    f.release();
                }
            }
        }
    }

    /** What the TAP's NEEDS_CSUM asks for (a pod's packet over the default veth), done as skb_checksum_help does. */
    @Test
    void partialChecksumsAreCompleted() {
        for (int proto : new int[] {TCP, UDP}) {
            for (int payload : new int[] {0, 1, 333, 1420}) {
                ByteBuf f = Ipv6Frames.frame(proto, 0, payload, 5, payload + proto);
                try {
                    Ipv6Frames.makePartial(f);
                    TcpSegmenter.completeChecksum(f, 0, f.writerIndex(), 54, proto == TCP ? 16 : 6);
                    assertEquals(Ipv6Frames.reference(f, 14, Ipv6Frames.field(f)), f.getUnsignedShort(Ipv6Frames.field(f)),
                            proto + "/" + payload);
                } finally {
                    f.release();
                }
            }
        }
    }

    /** A UDP checksum that computes to 0 goes as 0xffff: 0 would mean "none", which IPv6 receivers drop (RFC 8200). */
    @Test
    void aUdpChecksumOfZeroIsSentAsAllOnes() {
        ByteBuf f = Ipv6Frames.frame(UDP, 0, 64, 0, 3);
        try {
            // choose the last two payload bytes so that the whole sums to 0xffff
            f.setShort(f.writerIndex() - 2, 0);
            f.setShort(Ipv6Frames.field(f), 0);
            int l4 = Ipv6Packet.payloadLength(f, 14);
            int rest = Checksum.foldNoComplement(Checksum.sum(f, 54, l4, Ipv6Packet.pseudoHeaderSum(f, 14, l4)));
            f.setShort(f.writerIndex() - 2, 0xffff - rest);
            Ipv6Frames.makePartial(f);
            TcpSegmenter.completeChecksum(f, 0, f.writerIndex(), 54, 6);
            assertEquals(0xffff, f.getUnsignedShort(Ipv6Frames.field(f)));
            assertEquals(0xffff, Ipv6Frames.reference(f, 14, Ipv6Frames.field(f)));
        } finally {
            f.release();
        }
    }

    record Tso(String name, int payload, int mss, int options, int flags, long seq, int segments) {}

    static final List<Tso> TSO = List.of(
            new Tso("64 KiB, timestamps", 65000 - 74, 1428 - 20 - 12, 12, 0x18, 1000, 47),
            new Tso("sequence wraps", 5000, 1388, 12, 0x19 | 0x80, 0xfffff000L, 4),
            new Tso("exactly two", 2 * 1000, 1000, 0, 0x10, 1, 2),
            new Tso("one short segment", 100, 1440, 0, 0x18, 9, 1));

    /** A TCPv6 superframe (GSO type TCPV6) is cut into complete packets, each checked against the reference. */
    @Test
    void tsoSegmentsTcpV6() {
        for (Tso t : TSO) {
            ByteBuf in = Ipv6Frames.frame(TCP, t.options(), t.payload(), t.seq(), t.name().hashCode());
            ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
            try {
                in.setByte(54 + 13, t.flags());
                Ipv6Frames.makePartial(in);
                int hdr = TcpSegmenter.headerLength(in, 0, in.writerIndex());
                assertEquals(14 + 40 + 20 + t.options(), hdr, t.name());
                int n = TcpSegmenter.segment(in, 0, in.writerIndex(), hdr, t.mss(), out, 1);
                assertEquals(t.segments(), n, t.name());
                assertEquals(TcpSegmenter.outputSize(hdr, in.writerIndex(), t.mss()), out.writerIndex(), t.name());
                int stride = 8 + hdr + t.mss();
                ByteArrayOutputStream joined = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    int f = i * stride + 8;
                    int ip = f + 14;
                    int chunk = Math.min(t.mss(), t.payload() - i * t.mss());
                    String what = t.name() + " segment " + i;
                    assertEquals(20 + t.options() + chunk, Ipv6Packet.payloadLength(out, ip), what);
                    assertEquals(0x60012345, out.getInt(ip), what + ": flow label kept");
                    int tcp = ip + 40;
                    assertEquals((t.seq() + (long) i * t.mss()) & 0xffffffffL, out.getUnsignedInt(tcp + 4), what);
                    int fl = out.getUnsignedByte(tcp + 13);
                    assertEquals(i == n - 1 ? t.flags() & 0x09 : 0, fl & 0x09, what + ": FIN/PSH only on the last");
                    assertEquals(i == 0 ? t.flags() & 0x80 : 0, fl & 0x80, what + ": CWR only on the first");
                    assertEquals(Ipv6Frames.reference(out, ip, tcp + 16), out.getUnsignedShort(tcp + 16), what + ": checksum");
                    byte[] c = new byte[chunk];
                    out.getBytes(f + hdr, c);
                    joined.writeBytes(c);
                }
                byte[] orig = new byte[t.payload()];
                in.getBytes(hdr, orig);
                assertArrayEquals(orig, joined.toByteArray(), t.name());
            } finally {
                in.release();
                out.release();
            }
        }
    }

    @Test
    void tsoRefusesWhatItCannotCut() {
        ByteBuf f = Ipv6Frames.frame(TCP, 0, 3000, 1, 1);
        try {
            f.setByte(14 + 6, 0); // a hop-by-hop header first
            assertEquals(-1, TcpSegmenter.headerLength(f, 0, f.writerIndex()));
            f.setByte(14 + 6, UDP);
            assertEquals(-1, TcpSegmenter.headerLength(f, 0, f.writerIndex()));
        } finally {
            f.release();
        }
    }

    /** Segments of one superframe, as the wire delivers them: direct buffer, each at its offset and length. */
    record Pieces(ByteBuf buf, int[] off, int[] len) {}

    static Pieces segments(ByteBuf superframe, int mss) {
        int hdr = TcpSegmenter.headerLength(superframe, 0, superframe.writerIndex());
        ByteBuf segs = PooledByteBufAllocator.DEFAULT.directBuffer();
        int n = TcpSegmenter.segment(superframe, 0, superframe.writerIndex(), hdr, mss, segs, 1);
        int stride = 8 + hdr + mss;
        int[] off = new int[n];
        int[] len = new int[n];
        for (int i = 0; i < n; i++) {
            off[i] = i * stride + 8;
            len[i] = Math.min(stride, segs.writerIndex() - i * stride) - 8;
        }
        return new Pieces(segs, off, len);
    }

    static List<ByteBuf> coalesce(SegmentCoalescer.Checks checks, boolean udp, List<ByteBuf> frames, int[] taken) {
        List<ByteBuf> out = new ArrayList<>();
        ByteBuf held = PooledByteBufAllocator.DEFAULT.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
        try {
            SegmentCoalescer<String> co = new SegmentCoalescer<>(14, held, (a, l) -> {
                out.add(Unpooled.wrappedBuffer(MemorySegment.ofAddress(a).reinterpret(l).toArray(ValueLayout.JAVA_BYTE)));
                return true;
            }, t -> { }, checks, udp);
            for (ByteBuf f : frames) {
                if (co.offer(f, 0, f.writerIndex(), "t")) taken[0]++;
                else out.add(null); // written by the caller as it is
            }
            co.flush();
        } finally {
            held.release();
        }
        return out;
    }

    /** TCP over IPv6 cut by the sender's TSO comes back as one TCPV6 superframe whose finished checksum is right. */
    @Test
    void tcpV6SegmentsCoalesceIntoOneSuperframe() {
        int payload = 30_000;
        int mss = 1388;
        ByteBuf in = Ipv6Frames.frame(TCP, 12, payload, 5000, 11);
        Pieces p = segments(in, mss);
        List<ByteBuf> frames = new ArrayList<>();
        try {
            for (int i = 0; i < p.off().length; i++) frames.add(p.buf().retainedSlice(p.off()[i], p.len()[i]));
            for (SegmentCoalescer.Checks checks : SegmentCoalescer.Checks.values()) {
                int[] taken = {0};
                List<ByteBuf> out = coalesce(checks, false, frames, taken);
                assertEquals(frames.size(), taken[0], checks + ": every segment held");
                assertEquals(1, out.size(), checks + ": one write");
                ByteBuf w = out.getFirst();
                assertEquals(VirtioNetHdr.GSO_TCPV6, VirtioNetHdr.gsoType(w, 0), checks.toString());
                assertEquals(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.flags(w, 0));
                assertEquals(mss, VirtioNetHdr.gsoSize(w, 0));
                assertEquals(54, VirtioNetHdr.csumStart(w, 0));
                assertEquals(16, VirtioNetHdr.csumOffset(w, 0));
                assertEquals(14 + 40 + 32, VirtioNetHdr.hdrLen(w, 0));
                int f = VirtioNetHdr.LENGTH;
                assertEquals(32 + payload, Ipv6Packet.payloadLength(w, f + 14));
                assertEquals(Ipv6Frames.pseudo(w, f + 14), w.getUnsignedShort(f + 54 + 16), "field holds the pseudo-header sum");
                TcpSegmenter.completeChecksum(w, f, w.writerIndex() - f, 54, 16);
                assertEquals(Ipv6Frames.reference(w, f + 14, f + 54 + 16), w.getUnsignedShort(f + 54 + 16));
                byte[] a = new byte[payload];
                byte[] b = new byte[payload];
                in.getBytes(in.writerIndex() - payload, a);
                w.getBytes(w.writerIndex() - payload, b);
                assertArrayEquals(a, b, checks.toString());
            }
        } finally {
            frames.forEach(ByteBuf::release);
            p.buf().release();
            in.release();
        }
    }

    record Break(String name, Consumer<ByteBuf> change, int writes) {}

    /** What breaks a run: the second of three segments changed so; each case names how many writes come out. */
    static final List<Break> BREAKS = List.of(
            new Break("nothing changed", f -> { }, 1),
            new Break("another flow label", f -> f.setInt(14, 0x60054321), 3),
            new Break("another traffic class", f -> f.setInt(14, 0x60112345), 3),
            new Break("another hop limit", f -> f.setByte(14 + 7, 63), 3),
            new Break("another source address", f -> f.setByte(14 + 8 + 15, 6), 3),
            new Break("another destination address", f -> f.setByte(14 + 24 + 3, 1), 3),
            new Break("another port", f -> f.setShort(54, 40001), 3),
            new Break("a sequence gap (the third then misses the second's end too)", f -> f.setInt(54 + 4, f.getInt(54 + 4) + 1), 3),
            new Break("an extension header", f -> f.setByte(14 + 6, 0), 3),
            new Break("padded past the payload length", f -> f.setShort(14 + 4, f.getUnsignedShort(14 + 4) - 2), 3),
            new Break("an IPv4 frame between", null, 3));

    @Test
    void whatBreaksATcpV6Run() {
        int mss = 1000;
        for (Break c : BREAKS) {
            ByteBuf in = Ipv6Frames.frame(TCP, 0, 3 * mss, 1, 5);
            in.setByte(54 + 13, 0x10); // ACK only: no PSH on the last
            Pieces p = segments(in, mss);
            List<ByteBuf> frames = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(p.len()[i]);
                    f.writeBytes(p.buf(), p.off()[i], p.len()[i]);
                    frames.add(f);
                }
                if (c.change() == null) {
                    ByteBuf v4 = PooledByteBufAllocator.DEFAULT.directBuffer(frames.get(1).writerIndex());
                    v4.writeBytes(frames.get(1), 0, frames.get(1).writerIndex() - 20);
                    v4.setShort(12, EthernetFrame.TYPE_IPV4);
                    v4.setByte(14, 0x45);
                    v4.setShort(16, v4.writerIndex() - 14);
                    v4.setShort(20, 0x4000);
                    v4.setByte(23, TCP);
                    frames.get(1).release();
                    frames.set(1, v4);
                } else {
                    c.change().accept(frames.get(1));
                }
                int[] taken = {0};
                List<ByteBuf> out = coalesce(SegmentCoalescer.Checks.CALLER, false, frames, taken);
                assertEquals(c.writes(), out.size(), c.name());
            } finally {
                frames.forEach(ByteBuf::release);
                p.buf().release();
                in.release();
            }
        }
    }

    /** With {@link SegmentCoalescer.Checks#VERIFY} (the WireGuard TUN) a segment with a wrong checksum is never joined. */
    @Test
    void aCorruptSegmentIsNotJoinedWhereTheCoalescerVerifies() {
        ByteBuf in = Ipv6Frames.frame(TCP, 0, 3000, 1, 5);
        in.setByte(54 + 13, 0x10);
        Pieces p = segments(in, 1000);
        List<ByteBuf> frames = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) frames.add(p.buf().retainedSlice(p.off()[i], p.len()[i]));
            ByteBuf mid = frames.get(1);
            mid.setByte(mid.writerIndex() - 1, mid.getByte(mid.writerIndex() - 1) ^ 1);
            int[] taken = {0};
            List<ByteBuf> out = coalesce(SegmentCoalescer.Checks.VERIFY, false, frames, taken);
            assertEquals(2, taken[0]);
            assertTrue(out.contains(null), "the corrupt one is the caller's to write as it came");
        } finally {
            frames.forEach(ByteBuf::release);
            p.buf().release();
            in.release();
        }
    }

    /** UDP datagrams of one IPv6 flow join into one UDP L4 superframe (the TAP's USO6). */
    @Test
    void udpV6DatagramsJoin() {
        List<ByteBuf> frames = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                ByteBuf f = Ipv6Frames.frame(UDP, 0, i < 4 ? 1200 : 300, 0, i);
                Ipv6Frames.complete(f);
                frames.add(f);
            }
            int[] taken = {0};
            List<ByteBuf> out = coalesce(SegmentCoalescer.Checks.CALLER, true, frames, taken);
            assertEquals(1, out.size());
            ByteBuf w = out.getFirst();
            assertEquals(VirtioNetHdr.GSO_UDP_L4, VirtioNetHdr.gsoType(w, 0));
            assertEquals(1200, VirtioNetHdr.gsoSize(w, 0), "the datagrams' payload size");
            int f = VirtioNetHdr.LENGTH;
            assertEquals(8 + 4 * 1200 + 300, Ipv6Packet.payloadLength(w, f + 14));
            assertEquals(8 + 4 * 1200 + 300, w.getUnsignedShort(f + 54 + 4));
            assertEquals(Ipv6Frames.pseudo(w, f + 14), w.getUnsignedShort(f + 54 + 6));
        } finally {
            frames.forEach(ByteBuf::release);
        }
    }

    /** One flow, one outer source port; another port or address, (almost always) another. */
    @Test
    void flowHashFollowsTheV6Flow() {
        ByteBuf a = Ipv6Frames.frame(TCP, 0, 100, 1, 1);
        ByteBuf b = Ipv6Frames.frame(TCP, 0, 900, 99, 2);
        ByteBuf c = Ipv6Frames.frame(TCP, 0, 100, 1, 1);
        ByteBuf d = Ipv6Frames.frame(TCP, 0, 100, 1, 1);
        try {
            c.setShort(54, 40001);
            d.setByte(14 + 8 + 15, 9);
            int h = FlowHash.hash(a, 0, a.writerIndex());
            assertEquals(h, FlowHash.hash(b, 0, b.writerIndex()), "same flow, other payload and sequence");
            assertNotEquals(h, FlowHash.hash(c, 0, c.writerIndex()), "another source port");
            assertNotEquals(h, FlowHash.hash(d, 0, d.writerIndex()), "another source address");
        } finally {
            a.release();
            b.release();
            c.release();
            d.release();
        }
    }
}
