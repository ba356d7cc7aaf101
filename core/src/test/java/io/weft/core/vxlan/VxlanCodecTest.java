package io.weft.core.vxlan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.FlowHash;
import io.weft.core.packet.Ipv4Packet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VxlanCodecTest {
    static ByteBuf hex(String h) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(h));
    }

    @Test
    void headerIsExactlyWhatLinuxSends() {
        ByteBuf b = Unpooled.buffer(8).writerIndex(8);
        VxlanHeader.write(b, 0, 0x123456);
        assertArrayEquals(HexFormat.of().parseHex("0800000012345600"), ByteBufUtilCopy.bytes(b));
        assertEquals(0x123456, VxlanHeader.vni(b, 0));
    }

    @Test
    void checkNamesEachProblem() {
        String eth = "0a0000000002" + "0a0000000001" + "0800";
        assertEquals(VxlanHeader.OK, check("0800000000000100" + eth, 1));
        assertEquals(VxlanHeader.WRONG_VNI, check("0800000000000200" + eth, 1));
        assertEquals(VxlanHeader.BAD_FLAGS, check("0c00000000000100" + eth, 1));
        assertEquals(VxlanHeader.BAD_FLAGS, check("0000000000000100" + eth, 1), "I flag missing");
        assertEquals(VxlanHeader.BAD_FLAGS, check("0800000100000100" + eth, 1), "reserved bits in word 1");
        assertEquals(VxlanHeader.BAD_FLAGS, check("0800000000000101" + eth, 1), "reserved byte after the VNI");
        assertEquals(VxlanHeader.RUNT, check("0800000000000100" + "0a00", 1));
        assertEquals(VxlanHeader.RUNT, check("", 1));
    }

    static int check(String h, int vni) {
        ByteBuf b = hex(h);
        return VxlanHeader.check(b, 0, b.readableBytes(), vni);
    }

    @Test
    void internetChecksumMatchesAKnownIpv4Header() {
        // the classic example header, checksum b861
        ByteBuf b = hex("450000730000400040110000c0a80001c0a800c7");
        Ipv4Packet.updateChecksum(b, 0);
        assertEquals(0xb861, b.getUnsignedShort(10));
        assertTrue(Ipv4Packet.headerChecksumOk(b, 0));
    }

    @Test
    void oddLengthChecksumPadsWithZero() {
        assertEquals(Checksum.fold(Checksum.sum(hex("0102030400"), 0, 5, 0)), Checksum.fold(Checksum.sum(hex("0102030400"), 0, 4, 0)));
        assertEquals(Checksum.fold(Checksum.sum(hex("01020304050000"), 0, 6, 0)), Checksum.fold(Checksum.sum(hex("010203040500"), 0, 5, 0)));
    }

    @Test
    void oneFlowOnePortAndFlowsSpread() {
        ByteBuf f = TcpSegmenterTest.superframe(100, 1234, 0x18);
        int p1 = FlowHash.sourcePort(FlowHash.hash(f, 0, f.readableBytes()));
        int p2 = FlowHash.sourcePort(FlowHash.hash(f, 0, f.readableBytes()));
        assertEquals(p1, p2);
        Set<Integer> ports = new HashSet<>();
        for (int sport = 1000; sport < 1100; sport++) {
            f.setShort(14 + 20, sport);
            int p = FlowHash.sourcePort(FlowHash.hash(f, 0, f.readableBytes()));
            assertTrue(p >= FlowHash.PORT_MIN && p < FlowHash.PORT_MAX, "port " + p);
            ports.add(p);
        }
        assertTrue(ports.size() > 90, "100 flows spread over " + ports.size() + " ports");
        assertNotEquals(0, FlowHash.hash(hex("ffffffffffff0a00000000010806" + "00".repeat(28)), 0, 42));
    }

    /** Random bytes at random offsets and lengths: the codecs answer, they never throw. */
    @Test
    void randomBytesNeverThrow() {
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            byte[] a = new byte[r.nextInt(0, 200)];
            r.nextBytes(a);
            if (a.length > 14 && r.nextBoolean()) {
                a[12] = 8;
                a[13] = 0;
                a[14] = (byte) (0x40 | r.nextInt(16));
            }
            ByteBuf b = Unpooled.wrappedBuffer(a);
            int off = a.length == 0 ? 0 : r.nextInt(0, a.length);
            int len = a.length - off;
            assertDoesNotThrow(() -> {
                VxlanHeader.check(b, off, len, 1);
                FlowHash.hash(b, off, len);
                TcpSegmenter.headerLength(b, off, len);
                if (len >= 14) EthernetFrame.dst(b, off);
            });
        }
    }

    static final class ByteBufUtilCopy {
        static byte[] bytes(ByteBuf b) {
            byte[] a = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), a);
            return a;
        }
    }
}
