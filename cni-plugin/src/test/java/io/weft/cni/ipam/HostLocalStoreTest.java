package io.weft.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.spec.CniException;
import io.weft.core.net.IpAddress;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostLocalStoreTest {
    @TempDir
    Path tmp;

    Ipv4Address ip(String s) {
        return Ipv4Address.parse(s);
    }

    Allocator allocator(HostLocalStore s, String subnet) {
        Ipv4Cidr c = Ipv4Cidr.parse(subnet);
        return new Allocator(s, c, c.firstHost(), 0);
    }

    @Test
    void filesAreHostLocals() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        try (Flock l = s.lock()) {
            assertTrue(s.reserve(ip("10.0.0.5"), " abc ", "eth0", 0));
            assertFalse(s.reserve(ip("10.0.0.5"), "other", "eth0", 0));
        }
        Path dir = tmp.resolve("networks/net");
        assertEquals("abc\r\neth0", Files.readString(dir.resolve("10.0.0.5")));
        assertEquals("10.0.0.5", Files.readString(dir.resolve("last_reserved_ip.0")));
        assertTrue(Files.exists(dir.resolve("lock")));
        assertEquals(List.of(new HostLocalStore.Allocation(ip("10.0.0.5"), "abc", "eth0")), s.byId("abc", "eth0"));
        assertEquals(List.of(), s.byId("abc", "eth1"));
        assertEquals(1, s.releaseById("abc", "eth0").size());
        assertEquals(0, s.releaseById("abc", "eth0").size(), "releasing twice is fine");
        assertFalse(Files.exists(dir.resolve("10.0.0.5")));
    }

    @Test
    void allocatesAfterTheLastReservedAndWraps() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        Allocator a = allocator(s, "10.1.0.0/29"); // .1 gateway, .2-.6
        s.lock().close(); // creates the directory, as every caller does before allocating
        assertEquals(ip("10.1.0.2"), a.allocate("c1", "eth0"));
        assertEquals(ip("10.1.0.3"), a.allocate("c2", "eth0"));
        s.releaseById("c1", "eth0");
        assertEquals(ip("10.1.0.4"), a.allocate("c3", "eth0"), "continues after the last one, not the lowest free");
        assertEquals(ip("10.1.0.5"), a.allocate("c4", "eth0"));
        assertEquals(ip("10.1.0.6"), a.allocate("c5", "eth0"));
        assertEquals(ip("10.1.0.2"), a.allocate("c6", "eth0"), "wraps, skipping network and gateway");
        CniException e = assertThrows(CniException.class, () -> a.allocate("c7", "eth0"));
        assertTrue(e.getMessage().contains("no IP addresses available"), e.getMessage());
        e = assertThrows(CniException.class, () -> a.allocate("c6", "eth0"));
        assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
    }

    @Test
    void aReservationLeavesTheAllocationWholeAndNothingElse() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        try (Flock l = s.lock()) {
            assertEquals(ip("10.1.0.2"), allocator(s, "10.1.0.0/24").allocate("c1", "eth0"));
        }
        try (var names = Files.list(s.dir())) {
            assertEquals(List.of("10.1.0.2", "last_reserved_ip.0", "lock"), names.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals("c1\r\neth0", Files.readString(s.dir().resolve("10.1.0.2")));
    }

    /**
     * What a plugin killed while reserving leaves: weft's half (its content written, not yet linked to the address's
     * name) is no allocation and goes with the next allocation; host-local's half (and weft's before it wrote
     * through a link), an empty file under the address's name, frees the address on the next allocation.
     */
    @Test
    void whatAKilledReservationLeftIsClearedByTheNextAllocation() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        Files.createDirectories(s.dir());
        Files.writeString(s.dir().resolve(".reserving-10.1.0.2"), "killed\r\neth0");
        Files.writeString(s.dir().resolve("10.1.0.3"), "");
        Files.writeString(s.dir().resolve("10.1.0.4"), "c4\r\neth0");
        try (Flock l = s.lock()) {
            Allocator a = allocator(s, "10.1.0.0/24");
            assertEquals(ip("10.1.0.2"), a.allocate("c2", "eth0"), "a half-written reservation holds no address");
            assertEquals(ip("10.1.0.3"), a.allocate("c3", "eth0"), "an empty allocation file holds no address");
            assertEquals(ip("10.1.0.5"), a.allocate("c5", "eth0"));
        }
        assertEquals("c3\r\neth0", Files.readString(s.dir().resolve("10.1.0.3")));
        try (var names = Files.list(s.dir())) {
            assertTrue(names.noneMatch(p -> p.getFileName().toString().startsWith(".")), "nothing half-done left");
        }
    }

    /**
     * An IPv6 range in host-local's layout: files named as Go prints the address, the range set's own
     * last_reserved_ip.<id> (1 beside an IPv4 range 0, as flannel's delegate config orders them), the range from
     * the network's first host to its last address, the gateway skipped.
     */
    @Test
    void ipv6RangesLiveBesideIpv4OnesInHostLocalsLayout() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        Ipv4Cidr v4 = Ipv4Cidr.parse("10.1.0.0/24");
        io.weft.core.net.Ipv6Cidr v6 = io.weft.core.net.Ipv6Cidr.parse("fd00:10:244:1::/64");
        try (Flock l = s.lock()) {
            assertEquals(ip("10.1.0.2"), new Allocator(s, v4, v4.firstHost(), 0).allocate("c1", "eth0"));
            Allocator a6 = new Allocator(s, v6, v6.firstHost(), 1);
            assertEquals(IpAddress.parse("fd00:10:244:1::2"), a6.allocate("c1", "eth0"), "the gateway ::1 skipped");
            assertEquals(IpAddress.parse("fd00:10:244:1::3"), a6.allocate("c2", "eth0"));
            CniException dup = assertThrows(CniException.class, () -> a6.allocate("c1", "eth0"));
            assertTrue(dup.getMessage().contains("fd00:10:244:1::2 is already allocated"), dup.getMessage());
        }
        assertEquals("c1\r\neth0", Files.readString(s.dir().resolve("fd00:10:244:1::2")));
        assertEquals("10.1.0.2", Files.readString(s.dir().resolve("last_reserved_ip.0")));
        assertEquals("fd00:10:244:1::3", Files.readString(s.dir().resolve("last_reserved_ip.1")));
        assertEquals(List.of("10.1.0.2", "fd00:10:244:1::2"), s.byId("c1", "eth0").stream().map(x -> x.ip().toString()).toList());
        assertEquals(2, s.releaseById("c1", "eth0").size(), "both families freed at once");

        // where the last one handed out was the range's very last address, the search wraps to its first
        Files.writeString(s.dir().resolve("last_reserved_ip.1"), "fd00:10:244:1:ffff:ffff:ffff:ffff");
        try (Flock l = s.lock()) {
            assertEquals(IpAddress.parse("fd00:10:244:1::2"), new Allocator(s, v6, v6.firstHost(), 1).allocate("c3", "eth0"));
        }
        // a name host-local would never write (not Go's spelling of the address) is not an allocation
        Files.writeString(s.dir().resolve("fd00:10:244:1:0:0:0:9"), "odd");
        assertTrue(s.all().stream().noneMatch(x -> x.containerId().equals("odd")));
        // a range with no address in it is exhausted, not endless
        io.weft.core.net.Ipv6Cidr none = io.weft.core.net.Ipv6Cidr.parse("fd00:10:244:2::/128");
        try (Flock l = s.lock()) {
            assertThrows(CniException.class, () -> new Allocator(s, none, null, 2).allocate("c4", "eth0"));
        }
    }

    @Test
    void oldOneLineFilesBelongToTheirContainer() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        Files.createDirectories(s.dir());
        Files.writeString(s.dir().resolve("10.1.0.9"), "oldid\n");
        Files.writeString(s.dir().resolve("last_reserved_ip.0"), "10.1.0.9");
        Files.writeString(s.dir().resolve("fd00::1"), "v6");
        assertEquals(List.of(new HostLocalStore.Allocation(ip("10.1.0.9"), "oldid", null)), s.byId("oldid", "eth0"));
        assertEquals(ip("10.1.0.10"), allocator(s, "10.1.0.0/24").allocate("n", "eth0"));
        s.releaseById("oldid", "eth7");
        assertFalse(Files.exists(s.dir().resolve("10.1.0.9")));
        assertTrue(Files.exists(s.dir().resolve("fd00::1")), "other families' files are left alone");
    }

    @Test
    void theFlockKeepsConcurrentAllocatorsApart() throws Exception {
        HostLocalStore s = HostLocalStore.forNetwork(tmp.toString(), "net");
        Set<IpAddress> got = new HashSet<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<IpAddress>> fs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int k = i;
                fs.add(pool.submit(() -> {
                    // each caller opens its own store and lock file descriptor, as separate processes do
                    HostLocalStore mine = HostLocalStore.forNetwork(tmp.toString(), "net");
                    try (Flock l = mine.lock()) {
                        return allocator(mine, "10.2.0.0/24").allocate("c" + k, "eth0");
                    }
                }));
            }
            for (Future<IpAddress> f : fs) got.add(f.get());
        }
        assertEquals(64, got.size());
    }

    @Test
    void fileNamesReadAsIpv4AddressParseReadsThem() {
        for (String n : List.of("10.244.1.2", "0.0.0.0", "255.255.255.255", "1.2.3.4", "192.168.100.200")) {
            assertEquals(Ipv4Address.parse(n).value(), (int) HostLocalStore.dottedQuad(n), n);
        }
        for (String n : List.of("lock", "last_reserved_ip.0", "10.244.1", "10.244.1.2.3", "10.244.01.2", "10.244.1.256",
                "10.244.1.", ".10.244.1", "10..1.2", "fd00::1", "10.244.1.2 ", "1.2.3.4x", "", "1234.1.1.1")) {
            assertEquals(-1, HostLocalStore.dottedQuad(n), n);
        }
    }
}
