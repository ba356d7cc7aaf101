package io.weft.core.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.weft.core.vxlan.TcpSegmenter;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Which inner checksums are complete, partial or wrong, table-driven in the manner of wireguard-go's
 * {@code tun/offload_linux_test.go}: each case builds a frame as a sender's kernel would (or as a corrupted one
 * arrives), and names the verdict and where the checksum to finish lies.
 */
class InnerChecksumTest {
    enum Kind { UNCHECKED, BAD, VALID, PARTIAL }

    /** A frame: Ethernet, IPv4 (with {@code options} bytes of options), and a TCP or UDP packet. */
    static ByteBuf frame(int proto, int options, int payload, long seed) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeShort(0x0a00).writeInt(2).writeShort(0x0a00).writeInt(1).writeShort(EthernetFrame.TYPE_IPV4);
        int ihl = 20 + options;
        int l4hdr = proto == Ipv4Packet.PROTO_TCP ? 20 : 8;
        b.writeByte(0x40 | ihl / 4).writeByte(0).writeShort(ihl + l4hdr + payload).writeShort(7).writeShort(0x4000)
                .writeByte(64).writeByte(proto).writeShort(0).writeInt(0x0af40105).writeInt(0x0af40205);
        for (int i = 0; i < options; i += 4) b.writeInt(0x01010101); // NOPs
        Ipv4Packet.updateChecksum(b, 14);
        if (proto == Ipv4Packet.PROTO_TCP) {
            b.writeShort(40000).writeShort(5201).writeInt(1000).writeInt(77).writeByte(0x50).writeByte(0x18)
                    .writeShort(502).writeShort(0).writeShort(0);
        } else {
            b.writeShort(40000).writeShort(5201).writeShort(8 + payload).writeShort(0);
        }
        byte[] p = new byte[payload];
        new SplittableRandom(seed).nextBytes(p);
        b.writeBytes(p);
        return b;
    }

    static int l4(ByteBuf f) {
        return 14 + Ipv4Packet.headerLength(f, 14);
    }

    static int field(ByteBuf f) {
        return l4(f) + (Ipv4Packet.protocol(f, 14) == Ipv4Packet.PROTO_TCP ? 16 : 6);
    }

    static int l4Length(ByteBuf f) {
        return Ipv4Packet.totalLength(f, 14) - Ipv4Packet.headerLength(f, 14);
    }

    static int pseudo(ByteBuf f) {
        return Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(f, 14, l4Length(f)));
    }

    /** What a sender's kernel leaves for the device: the folded pseudo-header sum in the field. */
    static void makePartial(ByteBuf f) {
        f.setShort(field(f), pseudo(f));
    }

    /** What a device (or skb_checksum_help) makes of it: the whole checksum. */
    static void complete(ByteBuf f) {
        f.setShort(field(f), 0);
        int c = Checksum.fold(Checksum.sum(f, l4(f), l4Length(f), Ipv4Packet.pseudoHeaderSum(f, 14, l4Length(f))));
        f.setShort(field(f), c == 0 && Ipv4Packet.protocol(f, 14) == Ipv4Packet.PROTO_UDP ? 0xffff : c);
    }

    record Case(String name, int proto, int options, int payload, Consumer<ByteBuf> make, Kind want, int start, int offset) {}

    static final int TCP = Ipv4Packet.PROTO_TCP;
    static final int UDP = Ipv4Packet.PROTO_UDP;

    static final List<Case> CASES = List.of(
            new Case("tcp complete", TCP, 0, 1000, InnerChecksumTest::complete, Kind.VALID, 34, 16),
            new Case("tcp partial (kernel peer over a veth)", TCP, 0, 1000, InnerChecksumTest::makePartial, Kind.PARTIAL, 34, 16),
            new Case("tcp SYN-sized partial, no payload", TCP, 0, 0, InnerChecksumTest::makePartial, Kind.PARTIAL, 34, 16),
            new Case("tcp complete, one payload bit flipped", TCP, 0, 1000, f -> {
                complete(f);
                f.setByte(f.writerIndex() - 7, f.getByte(f.writerIndex() - 7) ^ 0x10);
            }, Kind.BAD, 0, 0),
            new Case("tcp partial, then its field damaged", TCP, 0, 1000, f -> {
                makePartial(f);
                f.setShort(field(f), f.getUnsignedShort(field(f)) ^ 0x0100);
            }, Kind.BAD, 0, 0),
            new Case("tcp partial behind IP options", TCP, 8, 300, InnerChecksumTest::makePartial, Kind.PARTIAL, 42, 16),
            new Case("udp complete", UDP, 0, 64, InnerChecksumTest::complete, Kind.VALID, 34, 6),
            new Case("udp partial", UDP, 0, 64, InnerChecksumTest::makePartial, Kind.PARTIAL, 34, 6),
            new Case("udp without a checksum (zero)", UDP, 0, 64, f -> f.setShort(field(f), 0), Kind.UNCHECKED, 0, 0),
            new Case("udp wrong", UDP, 0, 64, f -> {
                complete(f);
                f.setShort(field(f), f.getUnsignedShort(field(f)) ^ 0x0001);
            }, Kind.BAD, 0, 0),
            new Case("udp length field disagrees with IP", UDP, 0, 64, f -> f.setShort(l4(f) + 4, 30), Kind.UNCHECKED, 0, 0),
            new Case("tcp complete, Ethernet padding after the IP packet", TCP, 0, 2, f -> {
                complete(f);
                f.writeZero(6);
            }, Kind.VALID, 34, 16),
            new Case("fragment (MF set)", UDP, 0, 64, f -> {
                makePartial(f);
                f.setShort(14 + 6, 0x2000);
            }, Kind.UNCHECKED, 0, 0),
            new Case("ICMP", 1, 0, 56, f -> { }, Kind.UNCHECKED, 0, 0),
            new Case("IPv4 total length past the frame", TCP, 0, 100, f -> {
                makePartial(f);
                f.setShort(14 + 2, 2000);
            }, Kind.UNCHECKED, 0, 0),
            new Case("not IPv4 (ARP)", TCP, 0, 10, f -> f.setShort(12, 0x0806), Kind.UNCHECKED, 0, 0));

    static Kind kind(int r) {
        if (r == InnerChecksum.UNCHECKED) return Kind.UNCHECKED;
        if (r == InnerChecksum.BAD) return Kind.BAD;
        if (InnerChecksum.partial(r)) return Kind.PARTIAL;
        assertTrue(InnerChecksum.valid(r));
        return Kind.VALID;
    }

    static int inspect(ByteBuf f) {
        return InnerChecksum.inspect(DirectBufferMemory.address(f, 0, f.writerIndex()), f.writerIndex());
    }

    @Test
    void table() {
        for (Case c : CASES) {
            check(c.name(), frame(c.proto(), c.options(), c.payload(), c.name().hashCode()), c.make(), c.want(), c.start(),
                    c.offset());
        }
    }

    /** One row of a verdict table: the frame made as {@code make} says gets {@code want}, and where to finish it. */
    static void check(String name, ByteBuf f, Consumer<ByteBuf> make, Kind want, int start, int offset) {
        try {
            make.accept(f);
            int r = inspect(f);
            assertEquals(want, kind(r), name);
            if (r > 0) {
                assertEquals(start, InnerChecksum.start(r), name + ": csum_start");
                assertEquals(offset, InnerChecksum.offset(r), name + ": csum_offset");
            }
        } finally {
            f.release();
        }
    }

    /** Finishing a partial checksum, as the TAP's kernel does for NEEDS_CSUM, gives the packet a right one. */
    @Test
    void aFinishedPartialChecksumIsRight() {
        for (int proto : new int[] {TCP, UDP}) {
            for (int payload = 0; payload < 1400; payload += 97) {
                ByteBuf f = frame(proto, 0, payload, payload);
                try {
                    makePartial(f);
                    int r = inspect(f);
                    assertTrue(InnerChecksum.partial(r));
                    TcpSegmenter.completeChecksum(f, 0, f.writerIndex(), InnerChecksum.start(r), InnerChecksum.offset(r));
                    assertTrue(InnerChecksum.valid(inspect(f)), "finished " + proto + "/" + payload);
                } finally {
                    f.release();
                }
            }
        }
    }

    /**
     * The one ambiguity: a complete, right packet whose checksum happens to equal the pseudo-header sum reads as
     * partial, and finishing it leaves it as it was.
     */
    @Test
    void aCompletePacketThatLooksPartialComesOutUnchanged() {
        ByteBuf f = frame(TCP, 0, 200, 5);
        try {
            int word = l4(f) + 20; // the first payload word: varied until the right checksum is the pseudo-header sum
            for (int v = 0; v < 65536; v++) {
                f.setShort(word, v);
                complete(f);
                if (f.getUnsignedShort(field(f)) == pseudo(f)) break;
            }
            assertEquals(pseudo(f), f.getUnsignedShort(field(f)), "found a right checksum equal to the pseudo-header sum");
            byte[] before = new byte[f.writerIndex()];
            f.getBytes(0, before);
            int r = inspect(f);
            assertTrue(InnerChecksum.partial(r));
            TcpSegmenter.completeChecksum(f, 0, f.writerIndex(), InnerChecksum.start(r), InnerChecksum.offset(r));
            byte[] after = new byte[f.writerIndex()];
            f.getBytes(0, after);
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, after);
        } finally {
            f.release();
        }
    }

    /** A bit flipped anywhere in the data of a complete packet makes it bad (never partial, never right). */
    @Test
    void corruptedPacketsAreBad() {
        SplittableRandom r = new SplittableRandom(3);
        int bad = 0;
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            int proto = r.nextBoolean() ? TCP : UDP;
            ByteBuf f = frame(proto, 0, r.nextInt(1, 1400), i);
            try {
                complete(f);
                int at = r.nextInt(l4(f) + (proto == TCP ? 20 : 8), f.writerIndex());
                f.setByte(at, f.getByte(at) ^ (1 << r.nextInt(8)));
                if (inspect(f) == InnerChecksum.BAD) bad++;
            } finally {
                f.release();
            }
        }
        assertEquals(n, bad, "a flipped payload bit never passes, nor reads as partial");
    }
}
