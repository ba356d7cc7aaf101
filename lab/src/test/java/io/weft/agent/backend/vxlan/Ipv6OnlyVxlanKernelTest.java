package io.weft.agent.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.reconcile.Reconciler;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kernel vxlan backend and the reconciler on an IPv6-only cluster ({@code EnableIPv4: false}), driven directly
 * with the leases two nodes would hold: two namespaces joined by a veth (default offloads) carrying IPv6 only, each
 * with only flannel-v6.1 (flannel's vxlan.go RegisterNetwork without its IPv4 device), a pod on each node's cni0
 * reaching the other over IPv6, a deleted flannel-v6.1 put back by the next round with its MAC. Needs root.
 */
class Ipv6OnlyVxlanKernelTest {
    static final NetConf CONF = NetConfParser.parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,"
            + "\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final String V6 = "flannel-v6.1";

    private NetnsLab lab;
    private final List<String> nodes = new ArrayList<>();
    private final List<VxlanBackend> backends = new ArrayList<>();
    private final List<Lease> leases = new ArrayList<>();
    private final List<Reconciler> reconcilers = new ArrayList<>();

    static Ipv6Address underlay(int i) {
        return Ipv6Address.parse("fd00:31::" + i);
    }

    static Ipv6Cidr subnet(int i) {
        return Ipv6Cidr.parse("fd00:10:244:" + i + "::/64");
    }

    @BeforeEach
    void cluster() {
        NetnsLab.requireRoot();
        lab = new NetnsLab("wv6o");
        nodes.add(lab.netns("n1"));
        nodes.add(lab.netns("n2"));
        lab.veth(nodes.get(0), "eth0", nodes.get(1), "eth0");
        for (int i = 1; i <= 2; i++) {
            String ns = nodes.get(i - 1);
            NetnsLab.sh("ip", "-n", ns, "addr", "add", underlay(i) + "/64", "dev", "eth0", "nodad");
            lab.sysctl(ns, "net.ipv6.conf.all.forwarding", "1");
            VxlanBackend b = new VxlanBackend(Netns.named(ns), CONF.backend(), "eth0", 1500, null,
                    new VxlanBackend.Side(underlay(i), underlay(i), Ipv6Cidr.parse("fd00:31::/64"), null));
            backends.add(b);
            leases.add(new Lease(null, b.prepare(), Instant.now().plusSeconds(3600), subnet(i)));
            reconcilers.add(new Reconciler(Netns.named(ns), CONF.networks(), b));
        }
        for (int i = 0; i < 2; i++) {
            Reconciler.Result r = reconcilers.get(i).reconcile(leases.get(i), leases, true);
            assertEquals(3, r.added(), "route, neighbour and FDB entry for the one peer");
        }
        for (int i = 1; i <= 2; i++) {
            lab.pod(nodes.get(i - 1), "n" + i + "-pod", "vethpod", 1450,
                    List.of(new NetnsLab.PodAddress(subnet(i).firstHost(), 64, subnet(i).firstHost().plus(1))));
        }
    }

    @AfterEach
    void cleanUp() {
        if (lab != null) lab.close();
    }

    private void ping6(int from, int to) {
        IpRunner.Result r = NetnsLab.run("ip", "netns", "exec", lab.prefix() + "-n" + from + "-pod", "ping", "-6", "-c", "2",
                "-i", "0.2", "-W", "2", "-q", subnet(to).firstHost().plus(1).toString());
        assertEquals(0, r.exitCode(), "pod on n" + from + " -> pod on n" + to + ": " + r.stdout() + r.stderr());
    }

    @Test
    void onlyFlannelV6CarriesThePodsAndTheLeaseHasOnlyItsIpv6Side() {
        for (int i = 1; i <= 2; i++) {
            IpReader r = new IpReader(Netns.named(nodes.get(i - 1)));
            assertFalse(r.link("flannel.1").isPresent(), "no IPv4 device");
            LeaseRecord own = leases.get(i - 1).attrs();
            assertEquals(LeaseRecord.NO_IPV4, own.publicIp(), "PublicIP is flannel's zero address");
            assertTrue(own.backendData().isNull(), "no BackendData");
            assertEquals(underlay(i), own.publicIpv6());
            MacAddress mac = r.link(V6).orElseThrow().mac();
            assertEquals(mac, own.vtepMacV6());
            int peer = 3 - i;
            MacAddress peerMac = leases.get(peer - 1).attrs().vtepMacV6();
            assertEquals(List.of(RouteEntry.onlink(subnet(peer), subnet(peer).network(), V6)), r.routes6().stream()
                    .filter(e -> V6.equals(e.dev()) && !e.dst().equals(IpCidr.parse("fe80::/64"))).toList());
            assertEquals(List.of(new NeighEntry(subnet(peer).network(), peerMac, V6)), r.permanentNeighbours(V6));
            assertEquals(List.of(new FdbEntry(peerMac, V6, underlay(peer))), r.vxlanFdb(V6));
        }
        ping6(1, 2);
        ping6(2, 1);
        assertEquals(0, reconcilers.get(0).reconcile(leases.get(0), leases, true).added(), "a second round changes nothing");
    }

    @Test
    void aDeletedFlannelV6ComesBackWithItsMacAtTheNextRound() {
        IpReader r = new IpReader(Netns.named(nodes.get(0)));
        MacAddress mac = r.link(V6).orElseThrow().mac();
        NetnsLab.sh("ip", "-n", nodes.get(0), "link", "del", V6);
        Reconciler.Result round = reconcilers.get(0).reconcile(leases.get(0), leases, true);
        assertTrue(round.deviceRestored());
        assertEquals(mac, r.link(V6).orElseThrow().mac(), "the same VtepMAC, so the peer needs no change");
        assertEquals(1, r.vxlanFdb(V6).size());
        ping6(1, 2);
    }
}
