package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.userspace.Peer;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.Netns;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A restarting userspace node's datapath holds the peers its store last showed before its own lease is confirmed,
 * from the real backend's peer table (no device is opened): its own lease and expired ones are not peers, and a node
 * the store has never seen (a first start) gets nothing until its first round.
 */
class KnownPeersTest {
    static final BackendConf CONF = new BackendConf(BackendConf.VXLAN, 1, 8472, false, 0, BackendConf.USERSPACE);
    static final Ipv4Address SELF = Ipv4Address.parse("172.31.0.3");
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    static Lease lease(int i, Duration left) {
        return new Lease(Ipv4Cidr.parse("10.244." + i + ".0/24"),
                LeaseRecord.vxlan(Ipv4Address.parse("172.31.0." + i), 1, MacAddress.localFromSeed(i)), NOW.plus(left));
    }

    static UserspaceVxlanBackend backend() {
        return new UserspaceVxlanBackend(CONF, "eth0", SELF, 1500, null, Netns.CURRENT, true, true, null, null);
    }

    static Set<String> peers(UserspaceVxlanBackend b) {
        return b.peers().snapshot().peers().stream().map(Peer::publicIp).map(Object::toString).collect(Collectors.toSet());
    }

    @Test
    void aRestartedNodeForwardsToTheUnexpiredPeersItKnew() {
        UserspaceVxlanBackend b = backend();
        List<Lease> known = List.of(lease(1, Duration.ofHours(20)), lease(2, Duration.ofHours(3)), lease(3, Duration.ofHours(23)),
                lease(4, Duration.ofMinutes(-5)));
        assertTrue(KnownPeers.give(b, known, SELF, null, NOW));
        assertEquals(Set.of("172.31.0.1", "172.31.0.2"), peers(b), "not itself (172.31.0.3), not the expired 172.31.0.4");
    }

    @Test
    void aNodeWithoutAnUnexpiredLeaseOfItsOwnGetsNothingYet() {
        UserspaceVxlanBackend b = backend();
        assertFalse(KnownPeers.give(b, List.of(lease(1, Duration.ofHours(20)), lease(2, Duration.ofHours(3))), SELF, null, NOW),
                "a first start");
        assertFalse(KnownPeers.give(b, List.of(lease(1, Duration.ofHours(20)), lease(3, Duration.ofSeconds(-1))), SELF, null, NOW),
                "its own lease has expired: its subnet may be someone else's by now");
        assertEquals(Set.of(), peers(b));
    }
}
