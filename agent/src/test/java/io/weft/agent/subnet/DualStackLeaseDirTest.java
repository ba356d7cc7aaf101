package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dual-stack leases in the lease directory: each file is named by flannel's subnet key (pkg/subnet/subnet.go
 * MakeSubnetKey, "10.244.1.0-24&fd00:10:244:1::-64") and holds flannel's LeaseAttrs JSON with both families.
 */
class DualStackLeaseDirTest {
    static final String DUAL = "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\"}";
    static final String V4 = "{\"Network\":\"10.244.0.0/16\"}";

    @TempDir
    Path dir;

    static LeaseRecord node(int i) {
        return LeaseRecord.vxlan(Ipv4Address.parse("172.31.0." + i), MacAddress.localFromSeed(i),
                Ipv6Address.parse("fd00:31::" + i), MacAddress.localFromSeed(100 + i), 1);
    }

    LocalDirSubnetManager manager(String conf) throws Exception {
        return new LocalDirSubnetManager(dir, NetConfParser.parse(conf));
    }

    @Test
    void aDualStackLeaseIsNamedAndWrittenAsFlannelWritesIt() throws Exception {
        Lease l = manager(DUAL).acquire(node(1));
        assertEquals(Ipv4Cidr.parse("10.244.1.0/24"), l.subnet());
        assertEquals(Ipv6Cidr.parse("fd00:10:244:1::/64"), l.ipv6Subnet());
        Path file = dir.resolve("subnets/10.244.1.0-24&fd00:10:244:1::-64");
        // json.Marshal of flannel's LeaseAttrs for a dual-stack vxlan node (pkg/backend/vxlan newSubnetAttrs)
        assertEquals("{\"PublicIP\":\"172.31.0.1\",\"PublicIPv6\":\"fd00:31::1\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + MacAddress.localFromSeed(1) + "\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + MacAddress.localFromSeed(101) + "\"}}", Files.readString(file));
    }

    @Test
    void peersSeeBothFamiliesAndEachNodeGetsItsOwnPair() throws Exception {
        var a = manager(DUAL);
        Lease la = a.acquire(node(1));
        Lease lb = manager(DUAL).acquire(node(2));
        assertNotEquals(la.ipv6Subnet(), lb.ipv6Subnet());
        assertEquals(Ipv6Cidr.parse("fd00:10:244:2::/64"), lb.ipv6Subnet());
        List<Lease> seen = a.leases();
        Lease peer = seen.stream().filter(x -> x.subnet().equals(lb.subnet())).findFirst().orElseThrow();
        assertEquals(lb.ipv6Subnet(), peer.ipv6Subnet());
        assertEquals(node(2), peer.attrs());
        assertEquals(MacAddress.localFromSeed(102), peer.attrs().vtepMacV6());
        a.close();
    }

    @Test
    void aRestartKeepsBothSubnets() throws Exception {
        manager(DUAL).acquire(node(1));
        Lease b = manager(DUAL).acquire(node(2));
        Lease again = manager(DUAL).acquire(node(2));
        assertEquals(b.subnet(), again.subnet());
        assertEquals(b.ipv6Subnet(), again.ipv6Subnet());
        assertEquals(2, Files.list(dir.resolve("subnets")).count());
    }

    /** Issue 15 for both families: a restart whose own lease file is gone takes subnet.env's two subnets again. */
    @Test
    void aRestartWhoseLeaseFileIsGoneTakesSubnetEnvsSubnetsAgain() throws Exception {
        Path subnets = dir.resolve("subnets");
        Files.createDirectories(subnets);
        Files.writeString(subnets.resolve("10.244.2.0-24&fd00:10:244:2::-64"), node(2).toJson());
        Lease again = new LocalDirSubnetManager(dir, NetConfParser.parse(DUAL), Ipv4Cidr.parse("10.244.1.0/24"),
                Ipv6Cidr.parse("fd00:10:244:3::/64")).acquire(node(1));
        assertEquals(Ipv4Cidr.parse("10.244.1.0/24"), again.subnet());
        assertEquals(Ipv6Cidr.parse("fd00:10:244:3::/64"), again.ipv6Subnet(), "not the lowest free one: subnet.env's");
        assertTrue(Files.exists(subnets.resolve("10.244.1.0-24&fd00:10:244:3::-64")));
    }

    @Test
    void turningIpv6OnKeepsTheIpv4SubnetAndAddsAnIpv6One() throws Exception {
        Lease v4 = manager(V4).acquire(LeaseRecord.vxlan(Ipv4Address.parse("172.31.0.1"), 1, MacAddress.localFromSeed(1)));
        assertNull(v4.ipv6Subnet());
        Lease dual = manager(DUAL).acquire(node(1));
        assertEquals(v4.subnet(), dual.subnet(), "the pods' IPv4 addresses stay");
        assertEquals(Ipv6Cidr.parse("fd00:10:244:1::/64"), dual.ipv6Subnet());
        assertFalse(Files.exists(dir.resolve("subnets/10.244.1.0-24")), "the IPv4-only name is gone");
        assertTrue(Files.exists(dir.resolve("subnets/10.244.1.0-24&fd00:10:244:1::-64")));
        Lease back = manager(V4).acquire(LeaseRecord.vxlan(Ipv4Address.parse("172.31.0.1"), 1, MacAddress.localFromSeed(1)));
        assertEquals(v4.subnet(), back.subnet());
        assertNull(back.ipv6Subnet());
        assertTrue(Files.exists(dir.resolve("subnets/10.244.1.0-24")), "IPv6 off: named by the IPv4 subnet alone again");
    }

    @Test
    void anUnreadablePeerKeepsItsLastGoodRecordForBothFamilies() throws Exception {
        var a = manager(DUAL);
        a.acquire(node(1));
        Lease b = manager(DUAL).acquire(node(2));
        assertEquals(2, a.leases().size());
        Files.writeString(dir.resolve("subnets/" + b.key()), "{\"PublicIP\":");
        awaitProblem(a, b.subnet());
        Lease kept = a.leases().stream().filter(x -> x.subnet().equals(b.subnet())).findFirst().orElseThrow();
        assertEquals(b.ipv6Subnet(), kept.ipv6Subnet());
        assertEquals(node(2), kept.attrs(), "issue 15: the last good record, its IPv6 side included");
        a.close();
    }

    @Test
    void theOwnerRewritesItsOwnDualStackRecord() throws Exception {
        var a = manager(DUAL);
        Lease mine = a.acquire(node(1));
        Path file = dir.resolve("subnets/" + mine.key());
        Files.writeString(file, "garbage");
        for (int i = 0; i < 100 && !Files.readString(file).equals(node(1).toJson()); i++) {
            a.leases();
            Thread.sleep(50);
        }
        assertEquals(node(1).toJson(), Files.readString(file));
        a.close();
    }

    @Test
    void anExhaustedIpv6PoolIsNamed() throws Exception {
        String tiny = "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/64\",\"IPv6SubnetLen\":66}";
        for (int i = 1; i <= 3; i++) manager(tiny).acquire(node(i));
        SubnetException e = assertThrows(SubnetException.class, () -> manager(tiny).acquire(node(4)));
        assertTrue(e.getMessage().startsWith("IPv6 subnet pool exhausted: all 3 /66 subnets of fd00::/64"), e.getMessage());
    }

    private static void awaitProblem(LocalDirSubnetManager m, Ipv4Cidr subnet) throws Exception {
        for (int i = 0; i < 100; i++) {
            m.leases();
            if (m.entries().stream().anyMatch(e -> e.subnet().equals(subnet) && e.problem() != null)) return;
            Thread.sleep(50);
        }
        throw new AssertionError("no problem recorded for " + subnet);
    }
}
