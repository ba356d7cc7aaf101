package io.weft.agent.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.subnet.Lease;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.etcd.LabEtcd;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dual-stack leases in a real etcd (Debian's etcd-server on loopback) in flannel's layout: the key is flannel's
 * MakeSubnetKey ("10.244.1.0-24&fd00:10:244:1::-64", pkg/subnet/subnet.go), the value json.Marshal of its LeaseAttrs
 * (pkg/lease/lease.go) with PublicIPv6 and BackendV6Data, read back by the watch as flannel's ParseSubnetKey does.
 */
class DualStackEtcdTest {
    static final String PREFIX = "/coreos.com/network";
    static final String DUAL = "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\","
            + "\"Backend\":{\"Type\":\"vxlan\"}}";

    LabEtcd etcd;
    EtcdClient admin;
    final List<EtcdSubnetManager> managers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        etcd = LabEtcd.start();
        admin = new EtcdClient(List.of(etcd.url()));
        admin.put(PREFIX + "/config", DUAL, 0);
    }

    @AfterEach
    void stop() {
        managers.forEach(EtcdSubnetManager::close);
        admin.close();
        etcd.close();
    }

    EtcdSubnetManager manager() {
        EtcdSubnetManager m = new EtcdSubnetManager(new EtcdClient(List.of(etcd.url())), PREFIX, null);
        managers.add(m);
        return m;
    }

    static LeaseRecord node(int i) {
        return LeaseRecord.vxlan(Ipv4Address.parse("192.168.1." + i), MacAddress.parse("0a:00:00:00:00:0" + i),
                Ipv6Address.parse("fd00:1::" + i), MacAddress.parse("0a:00:00:00:06:0" + i), 1);
    }

    @Test
    void aDualStackLeaseIsFlannelsKeyAndValue() throws Exception {
        Lease l = manager().acquire(node(1));
        assertTrue(new Ipv6Cidr(Ipv6Address.parse("fd00:10:244::"), 56).contains(l.ipv6Subnet()));
        assertEquals(64, l.ipv6Subnet().prefix());
        String key = PREFIX + "/subnets/" + l.subnet().network() + "-24&" + l.ipv6Subnet().network() + "-64";
        List<EtcdClient.Kv> kvs = admin.get(key).kvs();
        assertEquals(1, kvs.size(), "flannel's MakeSubnetKey: " + key);
        assertEquals("{\"PublicIP\":\"192.168.1.1\",\"PublicIPv6\":\"fd00:1::1\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:01\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:06:01\"}}", kvs.get(0).value());
        assertNotEquals(0, kvs.get(0).lease());
    }

    @Test
    void aFlannelNodesDualStackKeyIsReadWithBothSubnets() throws Exception {
        EtcdSubnetManager m = manager();
        m.acquire(node(1));
        m.leases();
        // what flanneld's registry createSubnet stores for a dual-stack vxlan node
        admin.put(PREFIX + "/subnets/10.244.7.0-24&fd00:10:244:7::-64", "{\"PublicIP\":\"192.168.1.7\",\"PublicIPv6\":"
                + "\"fd00:1::7\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:07\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:06:07\"}}", 0);
        Lease peer = null;
        for (int i = 0; i < 100 && peer == null; i++) {
            m.awaitChange(200);
            peer = m.leases().stream().filter(x -> x.subnet().equals(Ipv4Cidr.parse("10.244.7.0/24"))).findFirst().orElse(null);
        }
        assertEquals(Ipv6Cidr.parse("fd00:10:244:7::/64"), peer.ipv6Subnet());
        assertEquals(MacAddress.parse("0a:00:00:00:06:07"), peer.attrs().vtepMacV6());
        assertEquals(Ipv6Address.parse("fd00:1::7"), peer.attrs().publicIpv6());
    }

    @Test
    void aRestartKeepsBothSubnetsAndPeersDoNotShareOne() throws Exception {
        Lease a = manager().acquire(node(1));
        Lease b = manager().acquire(node(2));
        assertNotEquals(a.ipv6Subnet(), b.ipv6Subnet());
        Lease again = manager().acquire(node(2));
        assertEquals(b.subnet(), again.subnet());
        assertEquals(b.ipv6Subnet(), again.ipv6Subnet());
        assertEquals(2, admin.getPrefix(PREFIX + "/subnets/").kvs().size());
    }

    @Test
    void turningIpv6OffTakesTheIpv4KeyAgainAsFlannelsCompatCheckDoes() throws Exception {
        Lease dual = manager().acquire(node(1));
        admin.put(PREFIX + "/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", 0);
        Lease v4 = manager().acquire(LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.1"), 1, MacAddress.parse("0a:00:00:00:00:01")));
        assertNull(v4.ipv6Subnet());
        assertEquals(dual.subnet(), v4.subnet(), "weft keeps the IPv4 subnet (flannel would pick another at random)");
        List<EtcdClient.Kv> kvs = admin.getPrefix(PREFIX + "/subnets/").kvs();
        assertEquals(1, kvs.size());
        assertEquals(PREFIX + "/subnets/" + dual.subnet().toKey(), kvs.get(0).key());
    }

    @Test
    void anUnreadablePeerKeepsItsLastGoodDualStackRecord() throws Exception {
        EtcdSubnetManager m = manager();
        m.acquire(node(1));
        Lease b = manager().acquire(node(2));
        for (int i = 0; i < 100 && m.leases().size() < 2; i++) m.awaitChange(200);
        admin.put(PREFIX + "/subnets/" + b.key(), "{\"PublicIP\":", 0);
        for (int i = 0; i < 100 && m.entries().stream().noneMatch(e -> e.problem() != null); i++) {
            m.awaitChange(200);
            m.leases();
        }
        Lease kept = m.leases().stream().filter(x -> x.subnet().equals(b.subnet())).findFirst().orElseThrow();
        assertEquals(b.ipv6Subnet(), kept.ipv6Subnet());
        assertEquals(node(2), kept.attrs(), "issue 15: the last good record, its IPv6 side included");
    }
}
