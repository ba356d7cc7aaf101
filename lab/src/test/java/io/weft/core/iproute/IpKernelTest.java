package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The iproute layer against the real kernel, each test in fresh network namespaces (needs root; fails without).
 * Nothing is added to the host's own namespace.
 */
class IpKernelTest {

    private static final String VX = "flannel.1";
    private static final Ipv4Address LOCAL = Ipv4Address.parse("172.31.0.1");
    private static final MacAddress OWN_MAC = MacAddress.parse("0e:5a:1f:00:00:01");

    private NetnsLab lab;

    @BeforeEach
    void lab() {
        lab = new NetnsLab("wct");
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    /** A node: eth0 (a veth whose peer stays in the namespace) with 172.31.0.1/24, and flannel.1 on it, up. */
    private static IpBatch node() {
        return new IpBatch()
                .add(Link.addVeth("eth0", "eth0p"))
                .add(Addr.add("eth0", LOCAL, 24))
                .add(Link.up("eth0"))
                .add(Link.up("eth0p"))
                .add(Link.addVxlan(VX, 1, 8472, LOCAL, "eth0", OWN_MAC, 1450))
                .add(Addr.add(VX, Ipv4Address.parse("10.0.0.0"), 32))
                .add(Link.up(VX));
    }

    private record Peer(RouteEntry route, NeighEntry neigh, FdbEntry fdb) {}

    /** Peer i: subnet 10.x.y.0/24 (i-th of 10.0.0.0/8), VtepMAC from seed i, public IP 172.31.16.0 + i. */
    private static Peer peer(int i) {
        Ipv4Cidr subnet = new Ipv4Cidr(Ipv4Address.parse("10.0.0.0").plus((long) i << 8), 24);
        MacAddress mac = MacAddress.localFromSeed(i);
        return new Peer(RouteEntry.onlink(subnet, subnet.network(), VX), new NeighEntry(subnet.network(), mac, VX),
                new FdbEntry(mac, VX, Ipv4Address.parse("172.31.16.0").plus(i)));
    }

    private static List<Peer> peers(int n) {
        List<Peer> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) out.add(peer(i));
        return out;
    }

    /** Routes, then neighbours, then FDB entries: two processes for any number of peers. */
    private static IpBatch program(IpBatch b, List<Peer> peers) {
        peers.forEach(p -> b.add(p.route().replace()));
        peers.forEach(p -> b.add(p.neigh().replace()));
        peers.forEach(p -> b.add(p.fdb().replace()));
        return b;
    }

    private static List<RouteEntry> overlayRoutes(IpReader r) {
        return r.routes().stream().filter(e -> VX.equals(e.dev())).toList();
    }

    @Test
    void oneBatchProgramsAVxlanDeviceAndAThousandPeersAndIpReaderReadsThemBack() {
        Netns ns = Netns.named(lab.netns("a"));
        List<Peer> peers = peers(1000);

        long t0 = System.nanoTime();
        program(node(), peers).apply(ns);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("applied 1 vxlan device + 3000 routes/neighbours/FDB entries in " + ms + " ms");

        IpReader r = new IpReader(ns);
        LinkInfo vx = r.link(VX).orElseThrow(() -> new AssertionError(VX + " was not created"));
        assertEquals("vxlan", vx.kind());
        assertEquals(new LinkInfo.Vxlan(1, 8472, LOCAL, "eth0", false), vx.vxlan());
        assertEquals(1450, vx.mtu());
        assertEquals(OWN_MAC, vx.mac());
        assertTrue(vx.up());
        assertEquals(List.of(new IfAddress(VX, Ipv4Address.parse("10.0.0.0"), 32)), r.addresses(VX));
        assertTrue(r.addresses().contains(new IfAddress("eth0", LOCAL, 24)));
        assertTrue(r.links().stream().anyMatch(l -> l.name().equals("eth0") && "veth".equals(l.kind())));

        assertEquals(set(peers.stream().map(Peer::route).toList()), set(overlayRoutes(r)));
        assertEquals(1000, overlayRoutes(r).size());
        assertEquals(set(peers.stream().map(Peer::neigh).toList()), set(r.permanentNeighbours(VX)));
        assertEquals(1000, r.permanentNeighbours(VX).size());
        assertEquals(set(peers.stream().map(Peer::fdb).toList()), set(r.vxlanFdb(VX)));
        assertEquals(1000, r.vxlanFdb(VX).size());

        // a restart replays the same replaces: nothing fails and nothing changes
        program(new IpBatch(), peers).apply(ns);
        assertEquals(1000, overlayRoutes(r).size());
        assertEquals(1000, r.permanentNeighbours(VX).size());
        assertEquals(1000, r.vxlanFdb(VX).size());

        // leases gone: deleting half leaves exactly the other half
        IpBatch del = new IpBatch();
        List<Peer> gone = peers.subList(0, 500);
        gone.forEach(p -> del.add(p.route().delete()));
        gone.forEach(p -> del.add(p.neigh().delete()));
        gone.forEach(p -> del.add(p.fdb().delete()));
        del.apply(ns);
        List<Peer> kept = peers.subList(500, 1000);
        assertEquals(set(kept.stream().map(Peer::route).toList()), set(overlayRoutes(r)));
        assertEquals(set(kept.stream().map(Peer::neigh).toList()), set(r.permanentNeighbours(VX)));
        assertEquals(set(kept.stream().map(Peer::fdb).toList()), set(r.vxlanFdb(VX)));
    }

    @Test
    void everyRouteShapeWeftWritesReadsBackEqual() {
        // the reconciler diffs written against read: any difference in shape would mean churn on every pass
        Netns ns = Netns.named(lab.netns("a"));
        List<RouteEntry> routes = List.of(
                RouteEntry.onlink(Ipv4Cidr.parse("10.244.2.0/24"), Ipv4Address.parse("10.244.2.0"), VX),
                RouteEntry.via(Ipv4Cidr.parse("10.244.3.0/24"), Ipv4Address.parse("172.31.0.3"), "eth0"),
                RouteEntry.direct(Ipv4Cidr.parse("10.244.4.0/24"), "eth0"),
                RouteEntry.direct(Ipv4Cidr.parse("10.244.5.7/32"), "eth0"),
                RouteEntry.via(Ipv4Cidr.parse("0.0.0.0/0"), Ipv4Address.parse("172.31.0.254"), "eth0"));
        IpBatch b = node();
        routes.forEach(r -> b.add(r.replace()));
        b.apply(ns);
        List<RouteEntry> read = new IpReader(ns).routes();
        for (RouteEntry r : routes) assertTrue(read.contains(r), r + " not read back as written: " + read);
        // plus the kernel's own connected route, nothing else
        List<RouteEntry> expected = new ArrayList<>(routes);
        expected.add(RouteEntry.direct(Ipv4Cidr.parse("172.31.0.0/24"), "eth0"));
        assertEquals(set(expected), set(read));

        IpBatch del = new IpBatch();
        routes.forEach(r -> del.add(r.delete()));
        del.apply(ns);
        assertEquals(List.of(RouteEntry.direct(Ipv4Cidr.parse("172.31.0.0/24"), "eth0")), new IpReader(ns).routes());
    }

    @Test
    void aBadOpDoesNotHoldBackTheGoodOnesAndIsNamedWithStderr() {
        Netns ns = Netns.named(lab.netns("a"));
        node().apply(ns);
        Peer p1 = peer(1), p2 = peer(2), p3 = peer(3);
        IpOp badRoute = RouteEntry.onlink(Ipv4Cidr.parse("10.9.9.0/24"), Ipv4Address.parse("10.9.9.0"), "nosuch0").replace();
        IpBatch b = new IpBatch()
                .add(p1.route().replace()).add(badRoute).add(p2.route().replace()).add(p3.route().replace())
                .add(p1.neigh().replace()).add(p2.neigh().replace()).add(p3.neigh().replace())
                .add(p1.fdb().replace()).add(p2.fdb().replace()).add(p3.fdb().replace());

        IpException e = assertThrows(IpException.class, () -> b.apply(ns));
        assertTrue(e.getMessage().contains(badRoute.toString()), "names the failing op: " + e.getMessage());
        assertTrue(e.getMessage().contains("nosuch0"), e.getMessage());
        assertTrue(e.getMessage().contains("Cannot find device"), "carries ip's stderr: " + e.getMessage());
        assertTrue(e.stderr().contains("Cannot find device"), e.stderr());
        assertNotEquals(0, e.exitCode());
        assertFalse(e.getMessage().contains(p2.route().replace().toString()), "only the bad op is blamed: " + e.getMessage());

        IpReader r = new IpReader(ns);
        assertEquals(set(List.of(p1.route(), p2.route(), p3.route())), set(overlayRoutes(r)),
                "the good routes before and after the bad one are in place");
        assertEquals(3, r.permanentNeighbours(VX).size());
        assertEquals(3, r.vxlanFdb(VX).size());
    }

    @Test
    void failuresInBothToolsAreAllReportedWithTheirStderr() {
        Netns ns = Netns.named(lab.netns("a"));
        node().apply(ns);
        Peer p1 = peer(1), p2 = peer(2);
        IpOp badRoute = RouteEntry.onlink(Ipv4Cidr.parse("10.9.9.0/24"), Ipv4Address.parse("10.9.9.0"), "nosuch0").replace();
        IpOp badFdb = IpOp.bridge("fdb", "replace", "0e:00:00:00:00:99", "dev", "nosuch1", "dst", "172.31.9.9", "self",
                "permanent");
        IpBatch b = new IpBatch().add(p1.route().replace()).add(badRoute).add(p2.route().replace())
                .add(p1.fdb().replace()).add(badFdb).add(p2.fdb().replace());

        IpException e = assertThrows(IpException.class, () -> b.apply(ns));
        assertTrue(e.getMessage().contains(badRoute.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(badFdb.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("Cannot find device \"nosuch0\""), "ip's stderr: " + e.getMessage());
        assertTrue(e.getMessage().contains("Cannot find device \"nosuch1\""), "bridge's stderr: " + e.getMessage());
        IpReader r = new IpReader(ns);
        assertEquals(2, overlayRoutes(r).size());
        assertEquals(set(List.of(p1.fdb(), p2.fdb())), set(r.vxlanFdb(VX)));
    }

    @Test
    void aSingleFailingOpNamesItselfToo() {
        Netns ns = Netns.named(lab.netns("a"));
        IpOp op = Link.up("nosuch0");
        IpException e = assertThrows(IpException.class, () -> IpBatch.run(ns, op));
        assertTrue(e.getMessage().contains(op.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("nosuch0"), e.getMessage());
        assertNotEquals(0, e.exitCode());
    }

    @Test
    void namespaceByPathWorksThroughNsenter() {
        String name = lab.netns("a");
        Netns byPath = Netns.path(Path.of("/var/run/netns/" + name));
        List<Peer> peers = peers(20);
        program(node(), peers).apply(byPath);

        IpReader viaPath = new IpReader(byPath);
        IpReader viaName = new IpReader(Netns.named(name));
        assertEquals(new LinkInfo.Vxlan(1, 8472, LOCAL, "eth0", false), viaPath.link(VX).orElseThrow().vxlan());
        assertEquals(set(peers.stream().map(Peer::route).toList()), set(overlayRoutes(viaPath)));
        assertEquals(set(overlayRoutes(viaName)), set(overlayRoutes(viaPath)));
        assertEquals(set(peers.stream().map(Peer::neigh).toList()), set(viaPath.permanentNeighbours(VX)));
        assertEquals(set(peers.stream().map(Peer::fdb).toList()), set(viaPath.vxlanFdb(VX)));
        assertEquals(Optional.empty(), viaPath.link("nosuch0"));
        assertEquals(viaName.links(), viaPath.links());
        assertEquals(Netns.of("/var/run/netns/" + name), byPath);
    }

    @Test
    void movingADeviceBetweenNamespaces() {
        String a = lab.netns("a");
        String b = lab.netns("b");
        String c = lab.netns("c");
        IpBatch.run(Netns.named(a), Link.addVeth("va", "vb"));
        IpBatch.run(Netns.named(a), Link.moveTo("vb", Netns.named(b)));
        IpBatch.run(Netns.named(b), Link.moveTo("vb", Netns.path(Path.of("/var/run/netns/" + c))));
        assertEquals(Optional.empty(), new IpReader(Netns.named(a)).link("vb"));
        assertEquals(Optional.empty(), new IpReader(Netns.named(b)).link("vb"));
        LinkInfo vb = new IpReader(Netns.named(c)).link("vb").orElseThrow();
        assertEquals("veth", vb.kind());
    }

    @Test
    void linkOnAMissingDeviceIsEmptyButAMissingNamespaceIsAnError() {
        Netns ns = Netns.named(lab.netns("a"));
        IpReader r = new IpReader(ns);
        assertEquals(Optional.empty(), r.link("flannel.1"));
        assertTrue(r.link("lo").isPresent());
        assertEquals(List.of(), r.routes());

        IpReader nowhere = new IpReader(Netns.named(lab.prefix() + "-never-made"));
        IpException e = assertThrows(IpException.class, () -> nowhere.link("flannel.1"));
        assertTrue(e.getMessage().contains("never-made"), e.getMessage());
        IpReader nowherePath = new IpReader(Netns.path(Path.of("/var/run/netns/" + lab.prefix() + "-never-made")));
        assertThrows(IpException.class, () -> nowherePath.link("flannel.1"));
    }

    @Test
    void readingAMissingDevicesTablesIsAnError() {
        IpReader r = new IpReader(Netns.named(lab.netns("a")));
        assertThrows(IpException.class, () -> r.permanentNeighbours("nosuch0"));
        assertThrows(IpException.class, () -> r.vxlanFdb("nosuch0"));
        assertThrows(IpException.class, () -> r.addresses("nosuch0"));
    }

    private static <T> Set<T> set(List<T> l) {
        Set<T> s = new HashSet<>(l);
        assertEquals(l.size(), s.size(), "duplicates in " + l);
        return s;
    }
}
