package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.agent.subnet.Lease;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an operator reads when many peers join or leave at once: the first few lines and one count line. */
class PeerLogTest {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    final Logger logger = Logger.getLogger(PeerLog.class.getName());

    @BeforeEach
    void listen() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(capture);
    }

    static Lease peer(int i) {
        return new Lease(Ipv4Cidr.parse("10.244." + i + ".0/24"),
                LeaseRecord.vxlan(Ipv4Address.parse("172.31." + (i / 250) + "." + (1 + i % 250)), 1, MacAddress.localFromSeed(i)),
                Instant.parse("2026-12-08T00:00:00Z"));
    }

    static List<Lease> peers(int from, int to) {
        List<Lease> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(peer(i));
        return out;
    }

    @Test
    void aBurstOfPeersLogsTheFirstFewAndACount() {
        PeerLog log = new PeerLog();
        Lease local = peer(0);
        List<IpCidr> departed = new ArrayList<>();
        List<Lease> all = peers(0, 231);
        log.log(local, all, (s, l) -> departed.add(s));
        assertEquals(PeerLog.DETAIL + 1, lines.size(), lines.toString());
        assertEquals("peer " + peer(1).describe() + " at 172.31.0.2 (vxlan, VtepMAC " + peer(1).attrs().vtepMac() + ")",
                lines.getFirst());
        assertEquals("... and 210 more: 230 peers joined, 0 changed, 0 left; 230 peers now", lines.getLast());

        lines.clear();
        log.log(local, peers(0, 6), (s, l) -> departed.add(s));
        // every peer that left is told, however few lines are logged
        assertEquals(225, departed.size());
        assertEquals(PeerLog.DETAIL + 1, lines.size(), lines.toString());
        assertEquals("... and 205 more: 0 peers joined, 0 changed, 225 left; 5 peers now", lines.getLast());

        lines.clear();
        log.log(local, peers(0, 8), (s, l) -> departed.add(s));
        assertEquals(2, lines.size(), "two joined, no count line: " + lines);
    }
}
