package io.weft.agent.backend.wireguard.tunnel;

import static io.weft.agent.backend.wireguard.tunnel.MemoryNode.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.wireguard.noise.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two (or three) tunnels joined by an in-memory wire: the protocol engine end to end without sockets, TUN or
 * namespaces (those are in the namespace tests): sessions, cryptokey routing, segmentation, and every refusal
 * counted under its reason.
 */
class TunnelTest {
    private final List<MemoryNode> nodes = new ArrayList<>();
    private final byte[] psk = new byte[32];

    {
        Arrays.fill(psk, (byte) 3);
    }

    private MemoryNode node(String ip, String subnet) {
        MemoryNode n = new MemoryNode(ip, subnet);
        nodes.add(n);
        return n;
    }

    @AfterEach
    void close() {
        nodes.forEach(MemoryNode::close);
    }

    private static void link(MemoryNode a, MemoryNode b, byte[] psk) {
        a.tunnel.setPeers(List.of(a.peerFor(b, psk)));
        b.tunnel.setPeers(List.of(b.peerFor(a, psk)));
    }

    private static Peer peer(MemoryNode n) {
        await("the peer set applied", () -> !n.tunnel.peers().isEmpty());
        return n.tunnel.peers().get(0);
    }

    @Test
    void peersHandshakeAtOnceAndCarryPacketsBothWays() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("a handshake on both sides", () -> peer(a).counters().handshakes() > 0 && peer(b).counters().handshakes() > 0);
        byte[] ab = Packets.udp("10.244.1.5", "10.244.2.7", 1000, 1);
        byte[] ba = Packets.udp("10.244.2.7", "10.244.1.5", 33, 2);
        a.fromTun(ab);
        b.fromTun(ba);
        await("both packets delivered", () -> !b.delivered.isEmpty() && !a.delivered.isEmpty());
        assertArrayEquals(ab, b.delivered.get(0));
        assertArrayEquals(ba, a.delivered.get(0));
        assertEquals(1, peer(b).counters().rxPackets());
        assertEquals(ab.length, peer(b).counters().rxBytes());
        for (byte[] d : a.sentDatagrams) {
            if (d[0] == Protocol.TYPE_TRANSPORT && d.length > Protocol.KEEPALIVE_LENGTH) {
                assertEquals(0, (d.length - Protocol.TRANSPORT_OVERHEAD) % 16, "plaintext padded to 16");
                assertTrue(indexOf(d, Arrays.copyOfRange(ab, 28, 60)) < 0, "no clear payload on the wire");
            }
        }
    }

    @Test
    void aTcpSuperpacketLeavesAsSealedSegmentsThatArriveWithValidChecksums() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("sessions", () -> peer(a).current != null);
        int mss = 1380;
        int payload = 30_000;
        a.fromTunRaw(Packets.tcpSuperpacket("10.244.1.5", "10.244.2.7", payload, mss, 1000));
        int n = (payload + mss - 1) / mss;
        await(n + " segments delivered", () -> b.delivered.size() == n);
        byte[] joined = new byte[payload];
        for (int i = 0; i < n; i++) {
            byte[] s = b.delivered.get(i);
            assertTrue(Packets.checksumsValid(s), "segment " + i + " checksums");
            long seq = ((s[24] & 0xffL) << 24) | ((s[25] & 0xff) << 16) | ((s[26] & 0xff) << 8) | (s[27] & 0xff);
            System.arraycopy(s, 40, joined, (int) (seq - 1000), s.length - 40);
        }
        for (int i = 0; i < payload; i++) assertEquals((byte) (i * 7), joined[i], "payload byte " + i);
        await("a counted " + n + " packets sent", () -> peer(a).counters().txPackets() == n);
    }

    @Test
    void theReceiverJoinsTheSegmentsIntoOneSuperpacketForItsTun() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        b.coalesce = true;
        link(a, b, psk);
        await("sessions", () -> peer(a).current != null);
        int payload = 30_000;
        a.fromTunRaw(Packets.tcpSuperpacket("10.244.1.5", "10.244.2.7", payload, 1380, 1000));
        await("one superpacket delivered", () -> !b.delivered.isEmpty());
        byte[] s = b.delivered.get(0);
        assertEquals(40 + payload, s.length, "all 22 segments in one packet");
        assertEquals(40 + payload, ((s[2] & 0xff) << 8) | (s[3] & 0xff), "its IP length");
        for (int i = 0; i < payload; i++) assertEquals((byte) (i * 7), s[40 + i], "payload byte " + i);
        assertEquals(1, b.tunnel.receiver().coalesceStats()[0]);
        assertEquals(22, b.tunnel.receiver().coalesceStats()[1]);
    }

    @Test
    void aPskMismatchGivesNoSessionNoTrafficAndIsCounted() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        a.tunnel.setPeers(List.of(a.peerFor(b, psk)));
        b.tunnel.setPeers(List.of(b.peerFor(a, null)));
        await("both initiators refuse the response", () -> peer(a).counters().drops(WgDrop.DECRYPT) > 0
                && peer(b).counters().drops(WgDrop.DECRYPT) > 0);
        a.fromTun(Packets.udp("10.244.1.5", "10.244.2.7", 100, 1));
        assertEquals(0, peer(a).counters().handshakes());
        assertEquals(0, peer(b).counters().handshakes());
        assertTrue(b.delivered.isEmpty());
    }

    @Test
    void aKeyThatIsNoPeerIsDroppedAndCounted() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        a.tunnel.setPeers(List.of(a.peerFor(b, null)));
        b.tunnel.setPeers(List.of());
        await("b refuses a's initiation", () -> b.tunnel.unknownCounters().drops(WgDrop.UNKNOWN_PEER) > 0);
        assertEquals(0, peer(a).counters().handshakes());
    }

    @Test
    void aReplayedTransportMessageIsDroppedAndCounted() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("session", () -> peer(a).current != null);
        a.fromTun(Packets.udp("10.244.1.5", "10.244.2.7", 200, 1));
        await("delivered", () -> b.delivered.size() == 1);
        byte[] data = a.sentDatagrams.stream().filter(d -> d[0] == Protocol.TYPE_TRANSPORT && d.length > 200).findFirst().orElseThrow();
        b.receive(data, a.address);
        await("replay counted", () -> peer(b).counters().drops(WgDrop.REPLAY) == 1);
        assertEquals(1, b.delivered.size());
    }

    @Test
    void anInnerSourceOutsideThePeersSubnetIsDropped() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("session", () -> peer(a).current != null);
        a.fromTun(Packets.udp("10.244.9.9", "10.244.2.7", 100, 1)); // a routes it, b must refuse the source
        await("counted", () -> peer(b).counters().drops(WgDrop.NOT_ALLOWED) == 1);
        assertTrue(b.delivered.isEmpty());
        a.fromTun(Packets.udp("10.244.1.5", "10.250.0.1", 100, 1));
        await("no route counted", () -> a.tunnel.unknownCounters().drops(WgDrop.NO_ROUTE) == 1);
    }

    @Test
    void aPeerWithANewKeyIsRekeyedAndItsOldKeyRefused() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("session", () -> peer(a).current != null);
        a.close();
        nodes.remove(a);
        MemoryNode a2 = node("172.31.0.1", "10.244.1.0/24"); // restarted with a new key
        a2.tunnel.setPeers(List.of(a2.peerFor(b, psk)));
        await("the old key refused", () -> b.tunnel.unknownCounters().drops(WgDrop.UNKNOWN_PEER) > 0);
        b.tunnel.setPeers(List.of(b.peerFor(a2, psk))); // the lease now carries the new key
        byte[] p = Packets.udp("10.244.2.7", "10.244.1.5", 64, 9);
        b.fromTun(p);
        await("traffic with the new key", () -> a2.delivered.size() == 1);
        assertArrayEquals(p, a2.delivered.get(0));
    }

    @Test
    void aRemovedPeerLosesItsSessions() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("session", () -> peer(a).current != null && peer(b).current != null);
        b.tunnel.setPeers(List.of());
        await("b forgot a", () -> b.tunnel.peers().isEmpty());
        a.fromTun(Packets.udp("10.244.1.5", "10.244.2.7", 100, 1));
        await("a's data refused", () -> b.tunnel.unknownCounters().drops(WgDrop.UNKNOWN_PEER) > 0);
        assertTrue(b.delivered.isEmpty());
    }

    @Test
    void underLoadAnInitiationGetsACookieAndTheRetryWithMac2IsAccepted() {
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        b.tunnel.worker.forceUnderLoad = true;
        MemoryNode aKey = new MemoryNode("172.31.0.99", "10.244.1.0/24"); // only to know a's key before a is on the wire
        aKey.close();
        b.tunnel.setPeers(List.of(new Peer(aKey.identity.publicKey(), psk, "172.31.0.1",
                new java.net.InetSocketAddress("172.31.0.1", 51820), aKey.subnets, 0)));
        await("b's own initiation went nowhere", () -> !b.sentDatagrams.isEmpty());
        MemoryNode a = new MemoryNode("172.31.0.1", "10.244.1.0/24", aKey.privateKey);
        nodes.add(a);
        a.tunnel.setPeers(List.of(a.peerFor(b, psk)));
        await("b answered a's initiation with a cookie", () -> b.tunnel.unknownCounters().drops(WgDrop.UNDER_LOAD) > 0
                && b.sentDatagrams.stream().anyMatch(d -> d[0] == Protocol.TYPE_COOKIE_REPLY));
        assertEquals(0, peer(a).counters().handshakes());
        // a's next initiation (its retransmission, 5 s later, or this one) carries MAC2 made with the cookie
        a.loop.execute(() -> a.tunnel.requestHandshake(peer(a), System.nanoTime(), true));
        await("a session although b is still under load", () -> peer(a).counters().handshakes() > 0);
        assertTrue(b.tunnel.worker.forceUnderLoad);
    }

    @Test
    void afterOurRestartAPeerWithAStaleSessionIsRekeyedAtItsFirstPacket() {
        MemoryNode a = node("172.31.0.1", "10.244.1.0/24");
        MemoryNode b = node("172.31.0.2", "10.244.2.0/24");
        link(a, b, psk);
        await("session", () -> peer(a).current != null && peer(b).current != null);
        byte[] key = b.privateKey;
        b.close();
        nodes.remove(b);
        a.wireCut = true;
        MemoryNode b2 = new MemoryNode("172.31.0.2", "10.244.2.0/24", key); // same key, no sessions
        nodes.add(b2);
        b2.wireCut = true; // b2's own proactive initiation is lost: the test is about a's stale session
        b2.tunnel.setPeers(List.of(b2.peerFor(a, psk)));
        await("b2 configured", () -> !b2.tunnel.peers().isEmpty());
        b2.wireCut = false;
        a.wireCut = false;
        byte[] p = Packets.udp("10.244.1.5", "10.244.2.7", 100, 4);
        a.fromTun(p); // sealed with the stale session
        await("b2 asks a for a new handshake", () -> peer(b2).counters().handshakes() > 0);
        // keep sending, as a pod does: a packet that leaves before a has processed b2's response still goes under the
        // stale session and is dropped, and which comes first is up to the threads
        await("traffic again", () -> {
            if (b2.delivered.isEmpty()) a.fromTun(p);
            return !b2.delivered.isEmpty();
        });
    }

    /**
     * A dual-stack pair over an IPv6 underlay, as one flannel-wg carries both families in auto/ipv6 mode: IPv4 and
     * IPv6 inner packets routed by their destination, delivered unchanged, their sources checked per family.
     */
    @Test
    void ipv6AndIpv4InsideOverAnIpv6Underlay() {
        MemoryNode a = node("fd00:31::1", "10.244.1.0/24,fd00:10:244:1::/64");
        MemoryNode b = node("fd00:31::2", "10.244.2.0/24,fd00:10:244:2::/64");
        link(a, b, psk);
        await("a handshake", () -> peer(a).counters().handshakes() > 0 && peer(b).counters().handshakes() > 0);
        byte[] ab6 = Packets.udp("fd00:10:244:1::5", "fd00:10:244:2::7", 1000, 1);
        byte[] ba6 = Packets.udp("fd00:10:244:2::7", "fd00:10:244:1::5", 33, 2);
        byte[] ab4 = Packets.udp("10.244.1.5", "10.244.2.7", 500, 3);
        a.fromTun(ab6);
        b.fromTun(ba6);
        a.fromTun(ab4);
        await("all delivered", () -> b.delivered.size() == 2 && a.delivered.size() == 1);
        assertArrayEquals(ab6, b.delivered.get(0));
        assertArrayEquals(ab4, b.delivered.get(1));
        assertArrayEquals(ba6, a.delivered.get(0));
        a.fromTun(Packets.udp("fd00:10:244:9::9", "fd00:10:244:2::7", 100, 4)); // routed by a, refused by b
        await("a foreign IPv6 source counted", () -> peer(b).counters().drops(WgDrop.NOT_ALLOWED) == 1);
        a.fromTun(Packets.udp("fd00:10:244:1::5", "fd00:10:250::1", 100, 5));
        await("no route counted", () -> a.tunnel.unknownCounters().drops(WgDrop.NO_ROUTE) == 1);
        assertEquals(2, b.delivered.size());
    }

    @Test
    void aTcpv6SuperpacketIsCutSealedAndJoinedAgain() {
        MemoryNode a = node("fd00:31::1", "fd00:10:244:1::/64");
        MemoryNode b = node("fd00:31::2", "fd00:10:244:2::/64");
        MemoryNode c = node("fd00:31::3", "fd00:10:244:3::/64");
        c.coalesce = true;
        a.tunnel.setPeers(List.of(a.peerFor(b, psk), a.peerFor(c, psk)));
        b.tunnel.setPeers(List.of(b.peerFor(a, psk)));
        c.tunnel.setPeers(List.of(c.peerFor(a, psk)));
        await("sessions", () -> a.tunnel.peers().size() == 2 && a.tunnel.peers().stream().allMatch(p -> p.current != null));
        int mss = 1360;
        int payload = 20_000;
        a.fromTunRaw(Packets.tcpSuperpacket("fd00:10:244:1::5", "fd00:10:244:2::7", payload, mss, 1000));
        int n = (payload + mss - 1) / mss;
        await(n + " segments delivered to b", () -> b.delivered.size() == n);
        for (int i = 0; i < n; i++) assertTrue(Packets.checksumsValid6(b.delivered.get(i)), "segment " + i + " checksum");
        a.fromTunRaw(Packets.tcpSuperpacket("fd00:10:244:1::5", "fd00:10:244:3::7", payload, mss, 1000));
        await("one superpacket at c", () -> !c.delivered.isEmpty());
        byte[] s = c.delivered.get(0);
        assertEquals(60 + payload, s.length, "the segments joined into one IPv6 packet");
        for (int i = 0; i < payload; i++) assertEquals((byte) (i * 7), s[60 + i], "payload byte " + i);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
