package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The iproute layer's IPv6 entries against the real kernel: a {@code flannel-v6.1} device over an IPv6 underlay (a
 * veth with its default offloads) in each of two fresh namespaces, programmed with the route, neighbour and FDB
 * entry flannel's vxlan backend adds per peer (vxlan_network.go {@code handleSubnetEvents}, device.go
 * {@code AddV6ARP}/{@code AddV6FDB}), read back equal, and a ping6 through them. Needs root; fails without.
 */
class IpKernelV6Test {
    private static final String VX = "flannel-v6.1";

    private NetnsLab lab;

    @BeforeEach
    void lab() {
        lab = new NetnsLab("wc6");
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    private static Ipv6Address underlay(int i) {
        return Ipv6Address.parse("fd00:31::" + i);
    }

    private static Ipv6Cidr subnet(int i) {
        return Ipv6Cidr.parse("fd10:0:0:" + i + "::/64");
    }

    private static MacAddress mac(int i) {
        return MacAddress.parse("0e:5a:1f:00:06:0" + i);
    }

    /** Node i: eth0 with the underlay address (no DAD: the test's own veth), flannel-v6.1 on it, MTU 1500 - 70. */
    private static IpBatch node(int i) {
        return new IpBatch()
                .add(IpOp.ip("addr", "add", underlay(i) + "/64", "dev", "eth0", "nodad"))
                .add(Link.addVxlan(VX, 1, 8472, underlay(i), "eth0", mac(i), 1430))
                .add(Addr.add(VX, subnet(i).network(), 128))
                .add(Link.up(VX));
    }

    /** What node {@code from} holds for its peer {@code to}: flannel's three entries, in the order it adds them. */
    private static List<IpOp> peer(int to) {
        return List.of(new FdbEntry(mac(to), VX, underlay(to)).replace(),
                new NeighEntry(subnet(to).network(), mac(to), VX).replace(),
                RouteEntry.onlink(subnet(to), subnet(to).network(), VX).replace());
    }

    @Test
    void aV6DeviceWithItsRouteNeighbourAndFdbEntryReadsBackEqualAndCarriesPing6() throws Exception {
        String a = lab.netns("a");
        String b = lab.netns("b");
        lab.veth(a, "eth0", b, "eth0");
        new IpBatch().addAll(node(1).ops()).addAll(peer(2)).apply(Netns.named(a));
        new IpBatch().addAll(node(2).ops()).addAll(peer(1)).apply(Netns.named(b));

        IpReader r = new IpReader(Netns.named(a));
        LinkInfo vx = r.link(VX).orElseThrow(() -> new AssertionError(VX + " was not created"));
        assertEquals(new LinkInfo.Vxlan(1, 8472, underlay(1), "eth0", false), vx.vxlan(), "local6 read as the local address");
        assertEquals(1430, vx.mtu());
        assertEquals(mac(1), vx.mac());
        assertEquals(List.of(new IfAddress(VX, subnet(1).network(), 128)), r.globalAddresses6(VX), "global addresses only");
        assertEquals(List.of(RouteEntry.onlink(subnet(2), subnet(2).network(), VX)),
                r.routes6().stream().filter(e -> e.dst().equals(subnet(2))).toList());
        assertEquals(List.of(new NeighEntry(subnet(2).network(), mac(2), VX)), r.permanentNeighbours(VX));
        assertEquals(List.of(new FdbEntry(mac(2), VX, underlay(2))), r.vxlanFdb(VX));

        // the overlay carries IPv6 once the /128 addresses have passed duplicate address detection
        ping6(a, subnet(1).network(), subnet(2).network());

        // replaying the same replaces changes nothing; deleting leaves nothing of the peer
        new IpBatch().addAll(peer(2)).apply(Netns.named(a));
        assertEquals(1, r.permanentNeighbours(VX).size());
        new IpBatch().add(RouteEntry.onlink(subnet(2), subnet(2).network(), VX).delete())
                .add(new NeighEntry(subnet(2).network(), mac(2), VX).delete())
                .add(new FdbEntry(mac(2), VX, underlay(2)).delete()).apply(Netns.named(a));
        assertTrue(r.routes6().stream().noneMatch(e -> e.dst().equals(subnet(2))));
        assertEquals(List.of(), r.permanentNeighbours(VX));
        assertEquals(List.of(), r.vxlanFdb(VX));
    }

    @Test
    void everyV6RouteShapeWeftWritesReadsBackEqual() {
        // the reconciler diffs written against read: a difference in shape would mean churn on every pass
        String a = lab.netns("a");
        String b = lab.netns("b");
        lab.veth(a, "eth0", b, "eth0");
        node(1).apply(Netns.named(a));
        List<RouteEntry> routes = List.of(
                RouteEntry.onlink(subnet(2), subnet(2).network(), VX),
                RouteEntry.via(subnet(3), underlay(3), "eth0"),
                RouteEntry.direct(subnet(4), "eth0"),
                RouteEntry.direct(IpCidr.parse("fd10:0:0:5::7/128"), "eth0"),
                RouteEntry.via(IpCidr.parse("::/0"), underlay(9), "eth0"));
        IpBatch add = new IpBatch();
        routes.forEach(e -> add.add(e.replace()));
        add.apply(Netns.named(a));
        List<RouteEntry> read = new IpReader(Netns.named(a)).routes6();
        for (RouteEntry e : routes) assertTrue(read.contains(e), e + " not read back as written: " + read);
        assertEquals(new HashSet<>(routes), Set.copyOf(read.stream().filter(routes::contains).toList()));

        IpBatch del = new IpBatch();
        routes.forEach(e -> del.add(e.delete()));
        del.apply(Netns.named(a));
        read = new IpReader(Netns.named(a)).routes6();
        for (RouteEntry e : routes) assertTrue(!read.contains(e), e + " still there: " + read);
    }

    /** Pings until an answer comes (DAD keeps a fresh address tentative for about a second), at most 10 s. */
    static void ping6(String ns, IpAddress from, IpAddress to) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        IpRunner.Result last;
        do {
            last = NetnsLab.run("ip", "netns", "exec", ns, "ping", "-6", "-c", "1", "-W", "1", "-I", from.toString(), to.toString());
            if (last.exitCode() == 0) return;
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("ping6 " + from + " -> " + to + " in " + ns + " failed: " + last.stdout() + last.stderr());
    }
}
