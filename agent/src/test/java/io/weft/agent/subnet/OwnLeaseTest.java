package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** This node's own record in the store: written again when gone or unreadable, never over another node's. */
class OwnLeaseTest {
    static final Ipv4Cidr S = Ipv4Cidr.parse("10.244.1.0/24");
    final LeaseBookTest.MutableClock clock = new LeaseBookTest.MutableClock(Instant.parse("2026-12-07T00:00:00Z"));
    final LeaseBook book = new LeaseBook("lease directory /x", clock, new ChangeSignal());
    final List<String> writes = new ArrayList<>();
    boolean refuse;
    final OwnLease own = new OwnLease(book, clock, (l, gone) -> {
        if (refuse) throw new SubnetException("cannot write lease " + l.subnet() + " in lease directory /x: Read-only file system");
        writes.add(l.subnet() + (gone ? " gone" : " over"));
        return l.with(l.attrs(), clock.instant().plus(Duration.ofHours(24)));
    });

    static LeaseRecord node(int i) {
        return LeaseRecord.vxlan(Ipv4Address.parse("172.31.0." + i), 1, MacAddress.localFromSeed(i));
    }

    Lease mine() {
        return new Lease(S, node(1), clock.instant().plus(Duration.ofHours(24)));
    }

    @Test
    void aGoneOrUnreadableRecordIsWrittenAgainOnce() {
        own.held(mine(), false);
        own.withOwn(book.leases());
        assertEquals(List.of(S + " gone"), writes);
        book.put(mine());
        book.unreadable(S, "the file is empty");
        for (int round = 0; round < 5; round++) own.withOwn(book.leases());
        assertEquals(List.of(S + " gone", S + " over"), writes, "once per change, not per round");
        assertNull(own.problem());
    }

    @Test
    void aRefusedWriteIsTheStoresProblemAndIsRetriedLater() {
        own.held(mine(), false);
        refuse = true;
        List<Lease> seen = own.withOwn(book.leases());
        assertEquals(List.of(mine()), seen, "this node's lease stays in use meanwhile");
        assertTrue(own.problem().contains("Read-only file system"), own.problem());
        refuse = false;
        own.withOwn(book.leases());
        assertEquals(List.of(), writes, "not before the retry interval");
        clock.advance(OwnLease.RETRY);
        own.withOwn(book.leases());
        assertEquals(List.of(S + " gone"), writes);
        assertNull(own.problem());
    }

    @Test
    void aSubnetAnotherNodeTookIsNotOverwritten() {
        own.held(mine(), false);
        book.put(new Lease(S, node(2), clock.instant().plus(Duration.ofHours(24))));
        own.withOwn(book.leases());
        assertEquals(List.of(), writes);
        assertTrue(own.problem().startsWith("this node's subnet " + S + " is now held by 172.31.0.2"), own.problem());
    }
}
