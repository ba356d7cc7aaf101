package io.weft.agent.backend.wireguard.tunnel;

import static io.weft.agent.backend.wireguard.tunnel.MemoryNode.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.ResourceLeakDetector;
import io.weft.agent.backend.wireguard.crypto.X25519;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.core.packet.VirtioNetHdr;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random datagrams into the receive pipeline and random TUN reads into the transmit pipeline of a tunnel with a
 * live session, under Netty's PARANOID leak detector: nothing throws out of either pipeline, every buffer the
 * tunnel allocated is released once it is closed, nothing forged reaches the TUN, and real traffic still flows.
 * A third of the datagrams carry the live session's receiver index and a fifth are handshake messages of the right
 * lengths, so the deeper checks (decryption, MAC1, cookie replies) are reached too.
 */
class TunnelFuzzTest {

    @Test
    void randomInputNeverThrowsNorLeaksNorDelivers() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "surefire runs with -Dio.netty.leakDetection.level=PARANOID");
        TrackingAllocator alloc = new TrackingAllocator();
        MemoryNode a = new MemoryNode("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = new MemoryNode("172.31.0.2", "10.244.2.0/24", X25519.generatePrivate(), alloc);
        try {
            a.tunnel.setPeers(List.of(a.peerFor(b, null)));
            b.tunnel.setPeers(List.of(b.peerFor(a, null)));
            await("sessions", () -> !b.tunnel.peers().isEmpty() && b.tunnel.peers().get(0).counters().handshakes() > 0
                    && !a.tunnel.peers().isEmpty() && a.tunnel.peers().get(0).current != null);
            int liveIndex = a.tunnel.peers().get(0).current.remoteIndex;
            SplittableRandom r = new SplittableRandom(11);
            int n = 30_000;
            for (int i = 0; i < n; i++) {
                byte[] d = new byte[r.nextInt(0, r.nextBoolean() ? 64 : 1600)];
                r.nextBytes(d);
                int kind = r.nextInt(15);
                if (kind < 5 && d.length >= 16) { // a transport message for the live session, with garbage inside
                    d[0] = Protocol.TYPE_TRANSPORT;
                    d[1] = d[2] = d[3] = 0;
                    d[4] = (byte) liveIndex;
                    d[5] = (byte) (liveIndex >>> 8);
                    d[6] = (byte) (liveIndex >>> 16);
                    d[7] = (byte) (liveIndex >>> 24);
                } else if (kind < 8) { // a handshake message of the right length
                    int type = 1 + r.nextInt(3);
                    d = new byte[type == 1 ? Protocol.INITIATION_LENGTH : type == 2 ? Protocol.RESPONSE_LENGTH : Protocol.COOKIE_REPLY_LENGTH];
                    r.nextBytes(d);
                    d[0] = (byte) type;
                    d[1] = d[2] = d[3] = 0;
                }
                b.receive(d, r.nextBoolean() ? a.address : new java.net.InetSocketAddress("172.31.0.9", 51820));
                if (i % 100 == 0) b.fromTunRaw(randomTunRead(r));
            }
            byte[] real = Packets.udp("10.244.1.5", "10.244.2.7", 500, 3);
            a.fromTun(real);
            await("the real packet after the fuzz", () -> b.delivered.stream().anyMatch(p -> java.util.Arrays.equals(p, real)));
            assertEquals(1, b.delivered.size(), "only the real packet reached the TUN");
            assertArrayEquals(real, b.delivered.get(0));
            assertTrue(b.errors.isEmpty(), "thrown out of a pipeline: " + b.errors);
            WgCounters unknown = b.tunnel.unknownCounters();
            WgCounters peer = b.tunnel.peers().get(0).counters();
            long dropped = 0;
            for (WgDrop why : WgDrop.values()) dropped += unknown.drops(why) + peer.drops(why);
            assertTrue(dropped > n / 2, "fuzz was counted as drops: " + dropped);
            assertTrue(peer.drops(WgDrop.DECRYPT) > 1000, "garbage for the live session failed authentication");
        } finally {
            a.close();
            b.close();
        }
        await("every buffer released", () -> alloc.unreleased() == 0);
    }

    /** A TUN read with a random virtio-net header (any GSO type, sizes, checksum offsets) and random bytes. */
    private static byte[] randomTunRead(SplittableRandom r) {
        byte[] p = new byte[VirtioNetHdr.LENGTH + r.nextInt(0, 3000)];
        r.nextBytes(p);
        if (p.length > VirtioNetHdr.LENGTH + 20 && r.nextBoolean()) {
            p[VirtioNetHdr.LENGTH] = 0x45;
            p[VirtioNetHdr.LENGTH + 16] = 10; // 10.244.1.x: a's subnet, so it is routed and sealed
            p[VirtioNetHdr.LENGTH + 17] = (byte) 244;
            p[VirtioNetHdr.LENGTH + 18] = 1;
            if (r.nextBoolean()) p[1] = VirtioNetHdr.GSO_TCPV4;
            if (r.nextBoolean()) p[VirtioNetHdr.LENGTH + 9] = 6;
        }
        return p;
    }
}
