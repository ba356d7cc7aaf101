package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ResourceLeakDetector;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import io.weft.core.packet.EthernetFrame;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The receive pipeline fed random datagrams (half of them with a valid VXLAN header and our MAC, so the
 * deeper checks are reached too), under Netty's PARANOID leak detector: nothing throws out of the pipeline,
 * every datagram buffer is released, and only frames that pass every rule reach the TAP.
 */
class DecapFuzzTest {
    static final MacAddress OURS = MacAddress.parse("0a:00:00:00:00:02");
    static final int MTU = 1450;

    static final Ipv4Address PEER = Ipv4Address.parse("172.31.0.1");

    /** A peer table holding the one peer the datagrams come from, 172.31.0.1. */
    static PeerTable onePeer() {
        PeerTable peers = new PeerTable(8472);
        peers.set(List.of(new PeerTable.Entry(MacAddress.parse("0a:00:00:00:00:01"), PEER)));
        return peers;
    }

    /** The receive pipeline alone, as the datapath builds it (no coalescer, no capture), writing to {@code out}. */
    static Decapsulator receiver(PeerTable peers, Decapsulator.FrameOutput out) {
        return new Decapsulator(peers, 1, OURS.value(), MTU + EthernetFrame.HEADER_LENGTH, () -> null, out, null);
    }

    /** Drops of every reason together. */
    static long drops(PeerCounters c) {
        long n = 0;
        for (DropReason d : DropReason.values()) n += c.drops(d);
        return n;
    }

    @Test
    void randomDatagramsNeverThrowNorLeak() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "surefire runs with -Dio.netty.leakDetection.level=PARANOID");
        PeerTable peers = onePeer();
        List<int[]> delivered = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(receiver(peers, (buf, off, len, csum, gso) -> {
            assertTrue(len >= EthernetFrame.HEADER_LENGTH && len <= MTU + 14, "delivered length " + len);
            long dst = EthernetFrame.dst(buf, off);
            assertTrue(dst == OURS.value() || EthernetFrame.isGroup(dst), "delivered to a foreign MAC");
            delivered.add(new int[] {off, len});
            return true;
        }).handler());
        InetSocketAddress us = new InetSocketAddress("172.31.0.2", 8472);
        InetSocketAddress peer = new InetSocketAddress("172.31.0.1", 40000);
        InetSocketAddress stranger = new InetSocketAddress("172.31.0.9", 40000);
        SplittableRandom r = new SplittableRandom(7);
        List<ByteBuf> all = new ArrayList<>();
        int n = 50_000;
        for (int i = 0; i < n; i++) {
            int len = r.nextInt(0, r.nextBoolean() ? 64 : 1600);
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(1, len));
            byte[] a = new byte[len];
            r.nextBytes(a);
            b.writeBytes(a);
            if (len >= 22 && r.nextBoolean()) {
                b.setInt(0, r.nextInt(8) == 0 ? r.nextInt() : 0x08000000);
                b.setInt(4, r.nextInt(8) == 0 ? r.nextInt() : 0x100);
                if (r.nextInt(4) != 0) {
                    b.setShort(8, (int) (OURS.value() >>> 32));
                    b.setInt(10, (int) OURS.value());
                }
            }
            all.add(b);
            ch.writeInbound(new DatagramPacket(b, us, r.nextInt(10) == 0 ? stranger : peer));
            ch.checkException();
        }
        ch.finishAndReleaseAll();
        for (ByteBuf b : all) assertEquals(0, b.refCnt(), "a datagram buffer was not released");
        PeerCounters c = peers.snapshot().byIp(PEER.value()).counters();
        long drops = drops(c);
        drops += peers.unknown().drops(DropReason.UNKNOWN_SOURCE);
        assertEquals(n, drops + c.rxPackets(), "every datagram is either delivered or counted as a drop");
        assertEquals(delivered.size(), c.rxPackets());
        assertTrue(c.rxPackets() > 1000, "the fuzzer reached the TAP " + c.rxPackets() + " times");
        assertTrue(peers.unknown().drops(DropReason.UNKNOWN_SOURCE) > 1000);
        for (DropReason d : List.of(DropReason.RUNT, DropReason.BAD_FLAGS, DropReason.WRONG_VNI, DropReason.OVERSIZE,
                DropReason.NOT_OUR_MAC)) {
            assertTrue(c.drops(d) > 0, "fuzzer never hit " + d);
        }
    }

    /**
     * Overlong datagrams as recvmmsg returns UDP_GRO trains: a first VXLAN payload that parses (its inner IPv4 or
     * IPv6 length says where the next one starts) and random bytes after it, up to 64 KiB. Cutting them never
     * throws, never leaks, and every piece is delivered or counted once.
     */
    @Test
    void randomTrainsNeverThrowNorLeak() {
        PeerTable peers = onePeer();
        int[] delivered = {0};
        Decapsulator dp = receiver(peers, (buf, off, len, csum, gso) -> {
            assertTrue(len >= EthernetFrame.HEADER_LENGTH && len <= MTU + 14, "delivered length " + len);
            delivered[0]++;
            return true;
        });
        EmbeddedChannel ch = new EmbeddedChannel(dp.handler());
        InetSocketAddress us = new InetSocketAddress("172.31.0.2", 8472);
        InetSocketAddress peer = new InetSocketAddress("172.31.0.1", 40000);
        SplittableRandom r = new SplittableRandom(11);
        List<ByteBuf> all = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int len = r.nextInt(MTU + 23, 65536); // below a full slot: GroTrainSplitTest has the cut-off train
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(len);
            byte[] a = new byte[len];
            r.nextBytes(a);
            b.writeBytes(a);
            b.setInt(0, 0x08000000).setInt(4, 0x100);
            b.setShort(8, (int) (OURS.value() >>> 32)).setInt(10, (int) OURS.value());
            boolean v6 = r.nextBoolean();
            b.setShort(20, v6 ? 0x86dd : 0x0800);
            b.setShort(22 + (v6 ? 4 : 2), r.nextInt(0, MTU + 100)); // sometimes too short, sometimes oversize
            all.add(b);
            ch.writeInbound(new DatagramPacket(b, us, peer));
            ch.checkException();
        }
        ch.finishAndReleaseAll();
        for (ByteBuf b : all) assertEquals(0, b.refCnt(), "a datagram buffer was not released");
        PeerCounters c = peers.snapshot().byIp(PEER.value()).counters();
        long drops = drops(c);
        long[] gro = dp.groStats();
        assertTrue(gro[0] > 500, "most datagrams were cut as trains: " + gro[0]);
        assertEquals(delivered[0], c.rxPackets());
        assertTrue(delivered[0] > 500, "first pieces reach the TAP: " + delivered[0]);
        assertEquals(gro[1] + (all.size() - gro[0]), drops + c.rxPackets(),
                "every piece of a train and every datagram not cut is delivered or counted once");
    }
}
