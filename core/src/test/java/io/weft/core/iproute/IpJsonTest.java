package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** IpJson against real iproute2 output captured in a netns (see src/test/resources/iproute/README.md). */
class IpJsonTest {

    private static String sample(String name) throws IOException {
        try (InputStream in = IpJsonTest.class.getResourceAsStream("/iproute/" + name)) {
            if (in == null) throw new AssertionError("missing test resource /iproute/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Ipv4Address a(String s) {
        return Ipv4Address.parse(s);
    }

    private static MacAddress m(String s) {
        return MacAddress.parse(s);
    }

    @Test
    void linksOfAFlannelNode() throws IOException {
        List<LinkInfo> links = IpJson.links(sample("ip-j-d-link-show.json"));
        assertEquals(List.of("lo", "eth0p", "eth0", "flannel.1", "cni0", "vethpodp", "vethpod", "vx42"),
                links.stream().map(LinkInfo::name).toList());
        Map<String, LinkInfo> byName = links.stream().collect(Collectors.toMap(LinkInfo::name, Function.identity()));

        assertEquals(new LinkInfo(7, "flannel.1", "vxlan", 1450, m("0e:5a:1f:00:00:01"), true, null,
                new LinkInfo.Vxlan(1, 8472, a("172.31.0.1"), "eth0", false)), byName.get("flannel.1"));

        LinkInfo vx42 = byName.get("vx42");
        assertEquals(new LinkInfo.Vxlan(42, 4789, a("172.31.0.1"), null, true), vx42.vxlan());
        assertEquals(false, vx42.up());

        LinkInfo cni0 = byName.get("cni0");
        assertEquals("bridge", cni0.kind());
        assertNull(cni0.vxlan());
        assertEquals(m("b2:67:34:12:09:b0"), cni0.mac());
        assertEquals(8, cni0.index());
        assertEquals(1500, cni0.mtu());

        assertEquals("cni0", byName.get("vethpod").master());
        assertEquals("veth", byName.get("vethpod").kind());
        assertNull(byName.get("eth0").master());

        LinkInfo lo = byName.get("lo");
        assertNull(lo.kind());
        assertNull(lo.mac(), "a loopback address is not an Ethernet MAC");
        assertTrue(lo.up());
        assertEquals(65536, lo.mtu());
    }

    @Test
    void addresses() throws IOException {
        assertEquals(List.of(new IfAddress("lo", a("127.0.0.1"), 8), new IfAddress("eth0", a("172.31.0.1"), 24),
                        new IfAddress("flannel.1", a("10.244.1.0"), 32), new IfAddress("cni0", a("10.244.1.1"), 24)),
                IpJson.addresses(sample("ip-j-4-addr-show.json")));
    }

    @Test
    void routesSkipBlackholeAndKeepOnlink() throws IOException {
        assertEquals(List.of(
                        RouteEntry.via(Ipv4Cidr.parse("0.0.0.0/0"), a("172.31.0.254"), "eth0"),
                        RouteEntry.direct(Ipv4Cidr.parse("10.244.1.0/24"), "cni0"),
                        RouteEntry.onlink(Ipv4Cidr.parse("10.244.2.0/24"), a("10.244.2.0"), "flannel.1"),
                        RouteEntry.onlink(Ipv4Cidr.parse("10.244.3.0/24"), a("10.244.3.0"), "flannel.1"),
                        RouteEntry.direct(Ipv4Cidr.parse("172.31.0.0/24"), "eth0")),
                IpJson.routes(sample("ip-j-4-route-show-table-main.json"), null));
    }

    @Test
    void routesReadBackEqualToWhatWasProgrammed() throws IOException {
        // the reconciler compares these records: what it would write must equal what it reads
        List<RouteEntry> read = IpJson.routes(sample("ip-j-4-route-show-table-main.json"), null);
        assertTrue(read.contains(RouteEntry.onlink(Ipv4Cidr.parse("10.244.2.0/24"), a("10.244.2.0"), "flannel.1")));
    }

    @Test
    void hostRouteWithoutPrefixAndDeviceFromTheQuery() {
        String json = "[{\"dst\":\"10.244.9.9\",\"gateway\":\"172.31.0.9\",\"flags\":[]},"
                + "{\"type\":\"unreachable\",\"dst\":\"10.1.0.0/16\",\"flags\":[]}]";
        assertEquals(List.of(RouteEntry.via(Ipv4Cidr.parse("10.244.9.9/32"), a("172.31.0.9"), "eth0")),
                IpJson.routes(json, "eth0"));
    }

    @Test
    void permanentNeighboursOfOneDevice() throws IOException {
        assertEquals(List.of(new NeighEntry(a("10.244.3.0"), m("0e:5a:1f:00:00:03"), "flannel.1"),
                        new NeighEntry(a("10.244.2.0"), m("0e:5a:1f:00:00:02"), "flannel.1")),
                IpJson.permanentNeighbours(sample("ip-j-4-neigh-show-dev-flannel.1.json"), "flannel.1"));
    }

    @Test
    void learnedAndIncompleteNeighboursAreNotOursPermanentOnesOfBothFamiliesAre() throws IOException {
        // the sample holds REACHABLE, STALE, FAILED (no lladdr) and an IPv6 PERMANENT entry besides ours; the
        // reconciler keeps only those inside the cluster's networks
        assertEquals(List.of(new NeighEntry(a("10.244.3.0"), m("0e:5a:1f:00:00:03"), "flannel.1"),
                        new NeighEntry(a("10.244.2.0"), m("0e:5a:1f:00:00:02"), "flannel.1"),
                        new NeighEntry(IpAddress.parse("fe80::1"), m("02:00:00:00:00:01"), "eth0")),
                IpJson.permanentNeighbours(sample("ip-j-neigh-show.json"), null));
    }

    @Test
    void vxlanFdbOfOneDevice() throws IOException {
        assertEquals(List.of(new FdbEntry(m("0e:5a:1f:00:00:03"), "flannel.1", a("172.31.0.3")),
                        new FdbEntry(m("0e:5a:1f:00:00:02"), "flannel.1", a("172.31.0.2"))),
                IpJson.vxlanFdb(sample("bridge-j-fdb-show-dev-flannel.1.json"), "flannel.1"));
    }

    @Test
    void vxlanFdbAmongAllEntriesKeepsOnlyThoseWithADestination() throws IOException {
        assertEquals(List.of(new FdbEntry(m("0e:5a:1f:00:00:03"), "flannel.1", a("172.31.0.3")),
                        new FdbEntry(m("0e:5a:1f:00:00:02"), "flannel.1", a("172.31.0.2"))),
                IpJson.vxlanFdb(sample("bridge-j-fdb-show.json"), null));
    }

    @Test
    void routesWithMetricsOrAnotherProtocolAreStillRead() throws IOException {
        // an operator's mtu on a route (a nested metrics array) or a metric/protocol must not hide it from the
        // reconciler, which would otherwise add it again every round
        assertEquals(List.of(
                        RouteEntry.via(Ipv4Cidr.parse("0.0.0.0/0"), a("172.31.0.254"), "eth0"),
                        RouteEntry.onlink(Ipv4Cidr.parse("10.244.2.0/24"), a("10.244.2.0"), "flannel.1"),
                        RouteEntry.onlink(Ipv4Cidr.parse("10.244.3.0/24"), a("10.244.3.0"), "flannel.1"),
                        RouteEntry.onlink(Ipv4Cidr.parse("10.244.4.0/24"), a("10.244.4.0"), "flannel.1"),
                        RouteEntry.direct(Ipv4Cidr.parse("172.31.0.0/24"), "eth0")),
                IpJson.routes(sample("ip-j-4-route-show-table-main-metrics.json"), null));
        assertEquals(List.of(new BlackholeRoute(Ipv4Cidr.parse("10.99.0.0/16"))),
                IpJson.blackholeRoutes(sample("ip-j-4-route-show-table-main-metrics.json")));
    }

    @Test
    void emptyOutputIsNoEntries() {
        // iproute2 prints nothing at all (not "[]") for some empty queries
        assertEquals(List.of(), IpJson.links(""));
        assertEquals(List.of(), IpJson.routes("\n", "eth0"));
        assertEquals(List.of(), IpJson.permanentNeighbours("[]", "flannel.1"));
        assertEquals(List.of(), IpJson.vxlanFdb(null, "flannel.1"));
        assertEquals(List.of(), IpJson.addresses("[ ]"));
    }

    @Test
    void unreadableOutputIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpJson.routes("[{\"dst\":", null));
        assertTrue(e.getMessage().contains("iproute2 JSON"), e.getMessage());
    }

    /** {@code ip -j -d route get 10.244.2.7 from 10.244.1.5 iif cni0} on a flannel node (iproute2 6.1). */
    @Test
    void routeLookupOfAForwardedPodPacket() {
        RouteLookup l = IpJson.routeLookup("[{\"type\":\"unicast\",\"dst\":\"10.244.2.7\",\"from\":\"10.244.1.5\","
                + "\"gateway\":\"10.244.2.0\",\"dev\":\"flannel.1\",\"table\":\"main\",\"flags\":[],\"cache\":[],"
                + "\"iif\":\"cni0\"}]", a("10.244.2.7"));
        assertEquals(new RouteLookup(a("10.244.2.7"), "unicast", a("10.244.2.0"), "flannel.1", null, null), l);
        assertTrue(l.found());
        RouteLookup direct = IpJson.routeLookup("[{\"dst\":\"10.244.1.7\",\"from\":\"10.244.2.5\",\"dev\":\"cni0\","
                + "\"flags\":[],\"cache\":[],\"iif\":\"flannel.1\"}]", a("10.244.1.7"));
        assertEquals("10.244.1.7 dev cni0", direct.toString());
        assertNull(IpJson.routeLookup("", a("10.244.1.7")));
    }

    /** {@code ip -j neigh show IP dev DEV}: a resolved pod, weft's permanent VTEP entry, an unresolved address. */
    @Test
    void neighboursInEveryState() {
        List<NeighState> n = IpJson.neighbours("[{\"dst\":\"10.244.1.5\",\"lladdr\":\"5e:a6:8f:e8:bd:97\",\"state\":[\"REACHABLE\"]},"
                + "{\"dst\":\"10.244.2.0\",\"lladdr\":\"02:00:00:00:00:02\",\"state\":[\"PERMANENT\"]},"
                + "{\"dst\":\"10.244.1.9\",\"state\":[\"FAILED\"]},{\"dst\":\"fe80::1\",\"state\":[\"STALE\"]}]", "cni0");
        assertEquals(3, n.size());
        assertTrue(n.get(0).resolved());
        assertEquals(m("5e:a6:8f:e8:bd:97"), n.get(0).mac());
        assertTrue(n.get(1).permanent());
        assertNull(n.get(2).mac());
        assertTrue(!n.get(2).resolved());
        assertEquals("cni0", n.get(2).dev());
    }

    /** {@code bridge -j fdb get MAC br cni0}: the port the pod's MAC was learned on. */
    @Test
    void bridgePortOfAPodMac() {
        assertEquals("vethpa", IpJson.bridgePort("[{\"mac\":\"5e:a6:8f:e8:bd:97\",\"ifname\":\"vethpa\",\"flags\":[],"
                + "\"master\":\"cni0\",\"state\":\"\"}]", "cni0"));
        assertNull(IpJson.bridgePort("[{\"mac\":\"33:33:00:00:00:01\",\"ifname\":\"cni0\",\"flags\":[\"self\"]}]", "cni0"));
    }

    /** A veth's {@code link_netnsid} named through {@code ip -j netns list-id}. */
    @Test
    void peerNamespaceOfAVeth() {
        String link = "[{\"ifindex\":3,\"link_index\":2,\"ifname\":\"vethpa\",\"master\":\"cni0\",\"link_netnsid\":0}]";
        assertEquals("opx2", IpJson.netnsName(link, "[{\"nsid\":0,\"name\":\"opx2\"}]"));
        assertNull(IpJson.netnsName(link, "[{\"nsid\":1,\"name\":\"other\"}]"));
        assertNull(IpJson.netnsName("[{\"ifindex\":3,\"ifname\":\"cni0\"}]", "[{\"nsid\":0,\"name\":\"opx2\"}]"));
    }

    @Test
    void ipv6EntriesAsIproute2PrintsThem() {
        // output of ip -j -d link show / -6 route show / neigh show / bridge fdb show for flannel-v6.1
        String link = "[{\"ifindex\":4,\"ifname\":\"flannel-v6.1\",\"flags\":[\"UP\"],\"mtu\":1430,\"link_type\":\"ether\","
                + "\"address\":\"0e:5a:1f:00:06:01\",\"linkinfo\":{\"info_kind\":\"vxlan\",\"info_data\":{\"id\":1,"
                + "\"local6\":\"fd00::1\",\"link\":\"eth0\",\"port\":8472,\"learning\":false}}}]";
        assertEquals(new LinkInfo.Vxlan(1, 8472, IpAddress.parse("fd00::1"), "eth0", false), IpJson.links(link).getFirst().vxlan());
        String routes = "[{\"dst\":\"fd10:0:0:1::\",\"dev\":\"flannel-v6.1\",\"protocol\":\"kernel\",\"flags\":[]},"
                + "{\"dst\":\"fd10:0:0:2::/64\",\"gateway\":\"fd10:0:0:2::\",\"dev\":\"flannel-v6.1\",\"flags\":[\"onlink\"]},"
                + "{\"dst\":\"default\",\"gateway\":\"fd00::9\",\"dev\":\"eth0\",\"flags\":[]}]";
        assertEquals(List.of(RouteEntry.direct(IpCidr.parse("fd10:0:0:1::/128"), "flannel-v6.1"),
                RouteEntry.onlink(IpCidr.parse("fd10:0:0:2::/64"), IpAddress.parse("fd10:0:0:2::"), "flannel-v6.1"),
                RouteEntry.via(IpCidr.parse("::/0"), IpAddress.parse("fd00::9"), "eth0")), IpJson.routes(routes, null));
        assertEquals(List.of(new NeighEntry(IpAddress.parse("fd10:0:0:2::"), m("0e:5a:1f:00:06:02"), "flannel-v6.1")),
                IpJson.permanentNeighbours("[{\"dst\":\"fd10:0:0:2::\",\"lladdr\":\"0e:5a:1f:00:06:02\",\"state\":[\"PERMANENT\"]}]",
                        "flannel-v6.1"));
        assertEquals(List.of(new FdbEntry(m("0e:5a:1f:00:06:02"), "flannel-v6.1", IpAddress.parse("fd00::2"))),
                IpJson.vxlanFdb("[{\"mac\":\"0e:5a:1f:00:06:02\",\"dst\":\"fd00::2\",\"flags\":[\"self\"],\"state\":\"permanent\"}]",
                        "flannel-v6.1"));
        assertEquals("route replace ::/0 via fd00::9 dev eth0",
                RouteEntry.via(IpCidr.parse("::/0"), IpAddress.parse("fd00::9"), "eth0").replace().line());
    }

    /** flannel's GetInterfaceIP6Addrs: global and link-local, never host scope or deprecated, global first. */
    @Test
    void ipv6AddressesAreTheUsableOnesGlobalFirst() {
        String json = "[{\"ifname\":\"lo\",\"addr_info\":[{\"family\":\"inet6\",\"local\":\"::1\",\"prefixlen\":128,"
                + "\"scope\":\"host\"}]},{\"ifname\":\"eth0\",\"addr_info\":["
                + "{\"family\":\"inet6\",\"local\":\"fe80::1\",\"prefixlen\":64,\"scope\":\"link\"},"
                + "{\"family\":\"inet6\",\"local\":\"fd00::9\",\"prefixlen\":64,\"scope\":\"global\",\"deprecated\":true,"
                + "\"preferred_life_time\":0},"
                + "{\"family\":\"inet6\",\"local\":\"fd00::2\",\"prefixlen\":64,\"scope\":\"global\"}]}]";
        List<IfAddress6> a = IpJson.addresses6(json);
        assertEquals(List.of("fd00::2/64 dev eth0", "fe80::1/64 dev eth0"), a.stream().map(IfAddress6::toString).toList());
    }
}
