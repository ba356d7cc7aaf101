package io.weft.core.vxlan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.Ipv4Packet;
import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TcpSegmenterTest {
    /** An Ethernet/IPv4/TCP frame (20-byte TCP header + 12 bytes of options) with {@code payload} random bytes. */
    static ByteBuf superframe(int payload, int id, int tcpFlags) {
        int tcpLen = 32;
        ByteBuf b = Unpooled.buffer();
        b.writeShort(0x0a00).writeInt(2).writeShort(0x0a00).writeInt(1).writeShort(0x0800);
        b.writeByte(0x45).writeByte(0).writeShort(20 + tcpLen + payload).writeShort(id).writeShort(0x4000)
                .writeByte(64).writeByte(6).writeShort(0).writeInt(0x0af40105).writeInt(0x0af40205);
        b.writeShort(40000).writeShort(5201).writeInt(0xfffff000).writeInt(77).writeByte((tcpLen / 4) << 4)
                .writeByte(tcpFlags).writeShort(502).writeShort(0x1234).writeShort(0);
        b.writeBytes(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
        byte[] p = new byte[payload];
        new SplittableRandom(payload).nextBytes(p);
        b.writeBytes(p);
        return b;
    }

    @Test
    void segmentsAreCompleteValidTcpPackets() {
        int payload = 5000;
        int mss = 1398;
        ByteBuf in = superframe(payload, 100, 0x19 | 0x80); // FIN PSH ACK CWR
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        assertEquals(14 + 20 + 32, hdr);
        ByteBuf out = Unpooled.buffer();
        int n = TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, mss, out, 7);
        assertEquals(4, n);
        assertEquals(TcpSegmenter.outputSize(hdr, in.readableBytes(), mss), out.readableBytes());
        int stride = 8 + hdr + mss;
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            int o = i * stride;
            int chunk = i < n - 1 ? mss : payload - 3 * mss;
            assertEquals(7, VxlanHeader.vni(out, o));
            int f = o + 8;
            int ip = f + 14;
            assertEquals(20 + 32 + chunk, Ipv4Packet.totalLength(out, ip));
            assertEquals(100 + i, Ipv4Packet.id(out, ip));
            assertTrue(Ipv4Packet.headerChecksumOk(out, ip), "IP checksum of segment " + i);
            int tcp = ip + 20;
            assertEquals((0xfffff000L + (long) i * mss) & 0xffffffffL, out.getUnsignedInt(tcp + 4), "seq wraps like TCP's");
            int flags = out.getUnsignedByte(tcp + 13);
            assertEquals(i == n - 1, (flags & 0x01) != 0, "FIN only on the last");
            assertEquals(i == n - 1, (flags & 0x08) != 0, "PSH only on the last");
            assertEquals(i == 0, (flags & 0x80) != 0, "CWR only on the first");
            long s = Ipv4Packet.pseudoHeaderSum(out, ip, 32 + chunk);
            assertEquals(0, Checksum.fold(Checksum.sum(out, tcp, 32 + chunk, s)), "TCP checksum of segment " + i);
            byte[] c = new byte[chunk];
            out.getBytes(f + hdr, c);
            joined.writeBytes(c);
        }
        byte[] orig = new byte[payload];
        in.getBytes(hdr, orig);
        assertArrayEquals(orig, joined.toByteArray());
    }

    @Test
    void completesAPartialChecksum() {
        ByteBuf f = superframe(333, 1, 0x18);
        int tcp = 14 + 20;
        int l4 = f.readableBytes() - tcp;
        // what the kernel hands over with NEEDS_CSUM: the pseudo-header sum folded into the checksum field
        f.setShort(tcp + 16, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(f, 14, l4)));
        TcpSegmenter.completeChecksum(f, 0, f.readableBytes(), tcp, 16);
        assertEquals(0, Checksum.fold(Checksum.sum(f, tcp, l4, Ipv4Packet.pseudoHeaderSum(f, 14, l4))));
    }
}
