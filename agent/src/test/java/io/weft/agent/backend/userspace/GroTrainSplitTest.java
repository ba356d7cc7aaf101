package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.weft.core.net.MacAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * recvmmsg hands over a UDP_GRO train as one datagram without its segment size; the receive pipeline cuts it at
 * the first inner IPv4 packet's length. A train becomes its datagrams again; one datagram that is merely too
 * long is still dropped as oversize, not cut into pieces.
 */
class GroTrainSplitTest {
    static final MacAddress OURS = DecapFuzzTest.OURS;
    static final int MTU = DecapFuzzTest.MTU;
    final InetSocketAddress us = new InetSocketAddress("172.31.0.2", 8472);
    final InetSocketAddress from = new InetSocketAddress("172.31.0.1", 40000);
    final List<Integer> delivered = new ArrayList<>();
    PeerTable peers;
    EmbeddedChannel ch;

    @BeforeEach
    void pipeline() {
        peers = DecapFuzzTest.onePeer();
        ch = new EmbeddedChannel(DecapFuzzTest.receiver(peers, (buf, off, len, csum, gso) -> delivered.add(len)).handler());
    }

    PeerCounters counters() {
        return peers.snapshot().byIp(DecapFuzzTest.PEER.value()).counters();
    }

    /** Appends one VXLAN datagram carrying an Ethernet frame of {@code ethertype} whose IPv4 total length is {@code ipLen}. */
    static void datagram(ByteBuf b, int ethertype, int ipLen, int frameLen) {
        int start = b.writerIndex();
        b.writeInt(0x08000000).writeInt(1 << 8);
        b.writeShort((int) (OURS.value() >>> 32)).writeInt((int) OURS.value());
        b.writeShort(0x0a00).writeInt(1);
        b.writeShort(ethertype);
        b.writeByte(0x45).writeByte(0).writeShort(ipLen);
        b.writeZero(start + 8 + frameLen - b.writerIndex());
    }

    void receive(ByteBuf b) {
        ch.writeInbound(new DatagramPacket(b, us, from));
        ch.checkException();
        assertEquals(0, b.refCnt(), "the datagram buffer is released");
    }

    @Test
    void aTrainIsCutIntoItsDatagrams() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        datagram(b, 0x0800, MTU, MTU + 14);
        datagram(b, 0x0800, MTU, MTU + 14);
        datagram(b, 0x0800, 586, 600);
        receive(b);
        assertEquals(List.of(MTU + 14, MTU + 14, 600), delivered);
        assertEquals(3, counters().rxPackets());
    }

    /**
     * Ten 64-byte UDP datagrams make a train shorter than one full-MTU datagram (GRO on the underlay, or a peer's UDP
     * GSO send over a veth): it is cut all the same. (Only trains longer than the MTU were cut once; the first datagram
     * of a short one was delivered and the other nine lost.)
     */
    @Test
    void aTrainShorterThanTheMtuIsCutToo() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        for (int i = 0; i < 10; i++) datagram(b, 0x0800, 92, 106);
        assertTrue(b.readableBytes() < MTU + 22);
        receive(b);
        assertEquals(java.util.Collections.nCopies(10, 106), delivered);
        assertEquals(10, counters().rxPackets());
    }

    /** Ethernet padding after a short packet (at most 26 bytes) is no second datagram: one frame, nothing dropped. */
    @Test
    void aPaddedFrameIsNoTrain() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        datagram(b, 0x0800, 20, 60); // a 20-byte IPv4 packet padded to the 60-byte Ethernet minimum
        receive(b);
        assertEquals(List.of(60), delivered);
        assertEquals(0, DecapFuzzTest.drops(counters()));
    }

    @Test
    void aTrainOfIpv6PacketsIsCutAtTheirLength() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        for (int i = 0; i < 3; i++) {
            int start = b.writerIndex();
            datagram(b, 0x86dd, 0, MTU + 14);
            b.setShort(start + 8 + 14 + 4, MTU - 40); // IPv6 payload length
        }
        receive(b);
        assertEquals(List.of(MTU + 14, MTU + 14, MTU + 14), delivered);
    }

    @Test
    void aTrainThatFilledItsSlotLosesOnlyTheCutDatagram() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(65536);
        while (b.writerIndex() + MTU + 22 <= 65536) datagram(b, 0x0800, MTU, MTU + 14); // 44 whole datagrams
        b.writeZero(65536 - b.writerIndex()); // and the start of one that did not fit
        receive(b);
        assertEquals(44, delivered.size());
        assertEquals(44, counters().rxPackets());
        assertEquals(1, counters().drops(DropReason.OVERSIZE));
    }

    @Test
    void oneOverlongDatagramIsDroppedAsOversize() {
        ByteBuf ip = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        datagram(ip, 0x0800, 1986, 2000); // its own length: no train
        receive(ip);
        ByteBuf arp = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        datagram(arp, 0x0806, 0, 2000);
        receive(arp);
        assertEquals(List.of(), delivered);
        assertEquals(2, counters().drops(DropReason.OVERSIZE));
    }

    @Test
    void aTrainOfGarbageOnlyCountsDrops() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        datagram(b, 0x0800, 700, 1800); // claims 722-byte datagrams; what follows the first is no VXLAN header
        receive(b);
        assertEquals(List.of(714), delivered);
        assertEquals(2, DecapFuzzTest.drops(counters()), "the two 722-byte pieces after the first are dropped, each counted");
    }
}
