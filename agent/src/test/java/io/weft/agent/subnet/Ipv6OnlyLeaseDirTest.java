package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IPv6-only leases ({@code EnableIPv4: false}) in the lease directory: each file is named by its IPv6 subnet alone
 * (weft's SubnetKey; flannel's MakeSubnetKey in pkg/subnet/subnet.go has no IPv6-only form) and holds flannel's
 * LeaseAttrs JSON of an IPv6-only vxlan node (pkg/backend/vxlan newSubnetAttrs: PublicIP 0.0.0.0, no BackendData).
 */
class Ipv6OnlyLeaseDirTest {
    static final String V6 = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\"}";

    @TempDir
    Path dir;

    static LeaseRecord node(int i) {
        return LeaseRecord.vxlan(null, null, Ipv6Address.parse("fd00:31::" + i), MacAddress.localFromSeed(100 + i), 1);
    }

    LocalDirSubnetManager manager() throws Exception {
        return new LocalDirSubnetManager(dir, NetConfParser.parse(V6));
    }

    @Test
    void anIpv6OnlyLeaseIsNamedByItsIpv6SubnetAndHoldsNoIpv4() throws Exception {
        Lease l = manager().acquire(node(1));
        assertNull(l.subnet());
        assertEquals(Ipv6Cidr.parse("fd00:10:244:1::/64"), l.ipv6Subnet());
        assertEquals("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00:31::1\",\"BackendType\":\"vxlan\","
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + MacAddress.localFromSeed(101) + "\"}}",
                Files.readString(dir.resolve("subnets/fd00:10:244:1::-64")));
    }

    @Test
    void nodesAreToldApartByPublicIpv6AndSeeEachOther() throws Exception {
        var a = manager();
        Lease la = a.acquire(node(1));
        Lease lb = manager().acquire(node(2));
        assertNotEquals(la.ipv6Subnet(), lb.ipv6Subnet(), "PublicIP is 0.0.0.0 on both: the node is its PublicIPv6");
        List<Lease> seen = a.leases();
        assertEquals(2, seen.size());
        Lease peer = seen.stream().filter(x -> lb.ipv6Subnet().equals(x.ipv6Subnet())).findFirst().orElseThrow();
        assertNull(peer.subnet());
        assertEquals(node(2), peer.attrs());
        a.close();
    }

    @Test
    void aRestartKeepsTheSubnet() throws Exception {
        manager().acquire(node(1));
        Lease b = manager().acquire(node(2));
        assertEquals(b.ipv6Subnet(), manager().acquire(node(2)).ipv6Subnet());
        assertEquals(2, Files.list(dir.resolve("subnets")).count());
    }

    /** Issue 15 on an IPv6-only node: its lease file gone, the FLANNEL_IPV6_SUBNET subnet.env names is taken again. */
    @Test
    void aRestartWhoseFileIsGoneTakesSubnetEnvsIpv6SubnetAgain() throws Exception {
        manager().acquire(node(1));
        Lease b = manager().acquire(node(2));
        Files.delete(dir.resolve("subnets").resolve(b.key()));
        Lease again = new LocalDirSubnetManager(dir, NetConfParser.parse(V6), null, b.ipv6Subnet()).acquire(node(3));
        assertEquals(b.ipv6Subnet(), again.ipv6Subnet());
    }

    @Test
    void anUnreadableLeaseKeepsItsSubnetTaken() throws Exception {
        Files.createDirectories(dir.resolve("subnets"));
        Files.writeString(dir.resolve("subnets/fd00:10:244:1::-64"), "{not json");
        var m = manager();
        Lease l = m.acquire(node(2));
        assertEquals(Ipv6Cidr.parse("fd00:10:244:2::/64"), l.ipv6Subnet());
        assertEquals(List.of(l), m.leases());
        assertTrue(m.entries().stream().anyMatch(e -> e.problem() != null
                && e.subnet().equals(Ipv6Cidr.parse("fd00:10:244:1::/64"))), m.entries().toString());
        m.close();
    }
}
