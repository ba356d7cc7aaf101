package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirSubnetManagerTest {
    @TempDir
    Path dir;

    static LeaseRecord node(int i) {
        return LeaseRecord.vxlan(Ipv4Address.parse("172.31.0." + i), 1, MacAddress.localFromSeed(i));
    }

    LocalDirSubnetManager manager(String conf) throws Exception {
        return new LocalDirSubnetManager(dir, NetConfParser.parse(conf));
    }

    @Test
    void firstLeaseSkipsTheNetworksFirstSubnetAndIsWrittenInFlannelsFormat() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease l = m.acquire(node(1));
        assertEquals(Ipv4Cidr.parse("10.244.1.0/24"), l.subnet());
        String json = Files.readString(dir.resolve("subnets/10.244.1.0-24"));
        // json.Marshal of flannel's LeaseAttrs (pkg/lease/lease.go): PublicIPv6 is a pointer without omitempty
        assertEquals("{\"PublicIP\":\"172.31.0.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\""
                + MacAddress.localFromSeed(1) + "\"}}", json);
    }

    @Test
    void aRestartedNodeGetsItsOwnSubnetBack() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease a = m.acquire(node(1));
        Lease b = m.acquire(node(2));
        assertNotEquals(a.subnet(), b.subnet());
        var again = manager("{\"Network\":\"10.244.0.0/16\"}");
        assertEquals(b.subnet(), again.acquire(node(2)).subnet());
        assertEquals(2, again.leases().size());
    }

    @Test
    void expiredLeasesAreFreedAndNotListed() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease a = m.acquire(node(1));
        Files.setLastModifiedTime(dir.resolve("subnets").resolve(a.subnet().toKey()),
                FileTime.from(Instant.now().minus(LocalDirSubnetManager.TTL).minusSeconds(5)));
        assertEquals(List.of(), manager("{\"Network\":\"10.244.0.0/16\"}").leases(), "a peer no longer lists it");
        assertEquals(a.subnet(), m.acquire(node(2)).subnet(), "the expired subnet is handed out again");
    }

    @Test
    void exhaustionNamesThePool() throws Exception {
        var m = manager("{\"Network\":\"10.1.0.0/16\",\"SubnetMin\":\"10.1.5.0\",\"SubnetMax\":\"10.1.6.0\"}");
        assertEquals("10.1.5.0/24", m.acquire(node(1)).subnet().toString());
        assertEquals("10.1.6.0/24", m.acquire(node(2)).subnet().toString());
        SubnetException e = assertThrows(SubnetException.class, () -> m.acquire(node(3)));
        assertEquals("subnet pool exhausted: all 2 /24 subnets of 10.1.0.0/16 between SubnetMin 10.1.5.0 and SubnetMax 10.1.6.0 are leased",
                e.getMessage());
    }

    @Test
    void aMalformedLeaseIsSkippedNotFatal() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        m.acquire(node(1));
        Files.writeString(dir.resolve("subnets/10.244.2.0-24"), "{\"PublicIP\":\"nope\"}");
        assertEquals(1, m.leases().size());
        assertEquals("10.244.3.0/24", m.acquire(node(2)).subnet().toString(), "the unreadable lease's subnet stays taken");
    }

    @Test
    void awaitChangeWakesOnANewLease() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        m.awaitChange(10);
        long t0 = System.nanoTime();
        Thread.startVirtualThread(() -> {
            try {
                Thread.sleep(200);
                manager("{\"Network\":\"10.244.0.0/16\"}").acquire(node(7));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        m.awaitChange(5000);
        assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "woke before the timeout");
        assertEquals(1, m.leases().size());
    }

    /** Waits until the manager's leases satisfy {@code ok}: the directory's watch reports a change a moment later. */
    static List<Lease> awaitLeases(LocalDirSubnetManager m, java.util.function.Predicate<List<Lease>> ok) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<Lease> l = m.leases();
        while (!ok.test(l) && System.nanoTime() < deadline) {
            m.awaitChange(200);
            l = m.leases();
        }
        return l;
    }

    @Test
    void aPeerWhoseFileIsCutShortKeepsItsLastGoodRecord() throws Exception {
        var peer = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease p = peer.acquire(node(2));
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease mine = m.acquire(node(1));
        assertEquals(2, m.leases().size());
        Path file = dir.resolve("subnets").resolve(p.subnet().toKey());
        String good = Files.readString(file);
        Files.writeString(file, good.substring(0, good.length() / 2));
        List<Lease> seen = awaitLeases(m, l -> m.entries().stream().anyMatch(LeaseBook.Entry::kept));
        assertEquals(java.util.Set.of(mine.subnet(), p.subnet()), seen.stream().map(Lease::subnet).collect(java.util.stream.Collectors.toSet()),
                "the peer stays, on its last good record");
        assertEquals(p.attrs(), seen.stream().filter(l -> l.subnet().equals(p.subnet())).findFirst().orElseThrow().attrs());
    }

    @Test
    void anOwnerWritesItsCorruptedRecordAgain() throws Exception {
        var m = manager("{\"Network\":\"10.244.0.0/16\"}");
        Lease mine = m.acquire(node(1));
        Path file = dir.resolve("subnets").resolve(mine.subnet().toKey());
        Files.writeString(file, "{\"PublicIP\":");
        awaitLeases(m, l -> {
            try {
                return LeaseRecord.parse(Files.readString(file)).equals(node(1));
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(node(1), LeaseRecord.parse(Files.readString(file)), "written again by its owner");
    }

    @Test
    void aRestartOverItsOwnUnreadableFileKeepsTheSubnetSubnetEnvNames() throws Exception {
        var first = manager("{\"Network\":\"10.244.0.0/16\"}");
        first.acquire(node(9)); // 10.244.1.0/24: someone else's
        Lease mine = first.acquire(node(1));
        Path file = dir.resolve("subnets").resolve(mine.subnet().toKey());
        Files.writeString(file, "");
        var restarted = new LocalDirSubnetManager(dir, NetConfParser.parse("{\"Network\":\"10.244.0.0/16\"}"), mine.subnet());
        assertEquals(mine.subnet(), restarted.acquire(node(1)).subnet());
        assertEquals(node(1), LeaseRecord.parse(Files.readString(file)));
        var noEnv = manager("{\"Network\":\"10.244.0.0/16\"}");
        Files.writeString(file, "");
        assertNotEquals(mine.subnet(), noEnv.acquire(node(1)).subnet(), "without subnet.env the unreadable subnet stays taken");
    }
}
