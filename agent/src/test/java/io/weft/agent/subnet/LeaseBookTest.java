package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an agent keeps of a peer whose record turns unreadable: its last good record until that would expire (as
 * flannel's watch skips an event it cannot parse: pkg/subnet/etcd/registry.go watchSubnets), its subnet stays taken,
 * and one warning per change, not one per round.
 */
class LeaseBookTest {
    static final Ipv4Cidr S = Ipv4Cidr.parse("10.244.3.0/24");
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T00:00:00Z"));
    final LeaseBook book = new LeaseBook("lease directory /x", clock, new ChangeSignal());
    final List<String> warnings = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) warnings.add(r.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void listen() {
        Logger.getLogger(LeaseBook.class.getName()).addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        Logger.getLogger(LeaseBook.class.getName()).removeHandler(capture);
    }

    static Lease lease(Instant expiry) {
        return new Lease(S, LeaseRecord.vxlan(Ipv4Address.parse("172.31.0.3"), 1, MacAddress.localFromSeed(3)), expiry);
    }

    @Test
    void anUnreadableRecordKeepsTheLastGoodOneUntilItWouldHaveExpired() {
        Lease good = lease(clock.instant().plus(Duration.ofHours(1)));
        book.put(good);
        book.unreadable(S, "the file is empty");
        assertEquals(List.of(good), book.leases(), "routes stay on the last good record");
        assertTrue(book.entries().getFirst().kept());
        clock.advance(Duration.ofMinutes(61));
        assertEquals(List.of(), book.leases(), "gone once that lease would have expired");
        assertTrue(book.taken().contains(S), "its subnet is never handed out again while the file is there");
    }

    @Test
    void aRecordNeverReadWellIsNoPeerButItsSubnetStaysTaken() {
        book.unreadable(S, "unexpected end of input");
        assertEquals(List.of(), book.leases());
        assertTrue(book.taken().contains(S));
    }

    @Test
    void theSameProblemIsLoggedOnceAndAMendedRecordReplacesTheKeptOne() {
        book.put(lease(clock.instant().plus(Duration.ofHours(1))));
        for (int round = 0; round < 50; round++) book.unreadable(S, "the file is empty");
        assertEquals(1, warnings.size(), warnings.toString());
        book.unreadable(S, "unexpected character");
        assertEquals(2, warnings.size(), "a new problem is a new line: " + warnings);
        Lease renewed = lease(clock.instant().plus(Duration.ofHours(24)));
        book.put(renewed);
        assertEquals(List.of(renewed), book.leases());
        assertTrue(!book.entries().getFirst().kept());
    }

    @Test
    void aListingRemovesWhatItDoesNotHold() {
        book.put(lease(clock.instant().plus(Duration.ofHours(1))));
        long v = book.version();
        book.retainOnly(List.of());
        assertEquals(List.of(), book.leases());
        assertTrue(book.version() > v);
    }

    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
