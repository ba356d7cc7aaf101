package io.weft.agent.underlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.lab.netns.NetnsLab;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The external interface is chosen as flanneld chooses it (main.go: each --iface in turn, then each --iface-regex,
 * then --iface-can-reach; pkg/ipmatch/match.go LookupExtIface for each), against a real kernel's interfaces in a
 * network namespace: ethA 10.9.1.2/24 with a route to 10.50.0.0/16, ethB 192.168.7.2/24 with the default route,
 * ethC up without an IPv4 address. For IPv6: ethA has fd00:9:1::2/64 (and a deprecated fd00:9:1::1), ethB only its
 * link-local address, ethD (with 10.9.4.2/24) none at all.
 */
class UnderlaySelectionTest {
    static NetnsLab lab;
    static IpReader reader;

    @BeforeAll
    static void node() {
        lab = new NetnsLab("wt-ifc");
        String node = lab.netns("node");
        String peer = lab.netns("peer");
        lab.veth(node, "ethA", peer, "a0");
        lab.veth(node, "ethB", peer, "b0");
        lab.veth(node, "ethC", peer, "c0");
        lab.veth(node, "ethD", peer, "d0");
        NetnsLab.sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv6.conf.ethD.disable_ipv6=1");
        NetnsLab.sh("ip", "-n", node, "addr", "add", "10.9.4.2/24", "dev", "ethD");
        NetnsLab.sh("ip", "-n", node, "addr", "add", "fd00:9:1::1/64", "dev", "ethA", "nodad", "preferred_lft", "0");
        NetnsLab.sh("ip", "-n", node, "addr", "add", "fd00:9:1::2/64", "dev", "ethA", "nodad");
        NetnsLab.sh("ip", "-n", node, "addr", "add", "10.9.1.2/24", "dev", "ethA");
        NetnsLab.sh("ip", "-n", node, "addr", "add", "192.168.7.2/24", "dev", "ethB");
        NetnsLab.sh("ip", "-n", node, "link", "set", "ethB", "mtu", "9000");
        NetnsLab.sh("ip", "-n", node, "route", "add", "default", "via", "192.168.7.1", "dev", "ethB");
        NetnsLab.sh("ip", "-n", node, "route", "add", "10.50.0.0/16", "via", "10.9.1.1", "dev", "ethA");
        reader = new IpReader(Netns.named(node));
    }

    @AfterAll
    static void clean() {
        if (lab != null) lab.close();
    }

    static Underlay.Choice choice(List<String> ifaces, List<String> regexes, String canReach) {
        return new Underlay.Choice(ifaces, regexes, canReach);
    }

    static Stream<Arguments> choices() {
        List<String> none = List.of();
        return Stream.of(
                // nothing given: the default route's interface (ipmatch: GetDefaultGatewayInterface)
                Arguments.of(Underlay.Choice.defaultRoute(), null, "ethB", "192.168.7.2", 9000),
                // only --public-ip: the interface that holds it (main.go passes opts.publicIP to LookupExtIface)
                Arguments.of(Underlay.Choice.defaultRoute(), "10.9.1.2", "ethA", "10.9.1.2", 1500),
                // ...a NAT address no interface holds: flanneld fails, weft takes the default route's (README)
                Arguments.of(Underlay.Choice.defaultRoute(), "203.0.113.9", "ethB", "192.168.7.2", 9000),
                // --iface repeated: the first that exists and has an IPv4 address wins
                Arguments.of(choice(List.of("eth9", "ethA"), none, null), null, "ethA", "10.9.1.2", 1500),
                Arguments.of(choice(List.of("ethC", "ethB"), none, null), null, "ethB", "192.168.7.2", 9000),
                // --iface as an address
                Arguments.of(choice(List.of("10.9.1.2"), none, null), null, "ethA", "10.9.1.2", 1500),
                // --iface-regex: addresses first (unanchored, as Go's MatchString), then names
                Arguments.of(choice(none, List.of("^10\\.9\\."), null), null, "ethA", "10.9.1.2", 1500),
                Arguments.of(choice(none, List.of("thB$"), null), null, "ethB", "192.168.7.2", 9000),
                Arguments.of(choice(none, List.of("^nomatch", "168\\.7"), null), null, "ethB", "192.168.7.2", 9000),
                // --iface is tried before --iface-regex, which is tried before --iface-can-reach
                Arguments.of(choice(List.of("ethA"), List.of("^192"), "10.50.3.4"), null, "ethA", "10.9.1.2", 1500),
                Arguments.of(choice(List.of("eth9"), List.of("^nomatch"), "10.50.3.4"), null, "ethA", "10.9.1.2", 1500),
                // --iface-can-reach: the interface and source of `ip route get` (GetInterfaceBySpecificIPRouting)
                Arguments.of(choice(none, none, "10.50.3.4"), null, "ethA", "10.9.1.2", 1500),
                Arguments.of(choice(none, none, "8.8.8.8"), null, "ethB", "192.168.7.2", 9000));
    }

    @ParameterizedTest(name = "{0}, public IP {1} -> {2}")
    @MethodSource("choices")
    void theInterfaceIsChosenAsFlannelChoosesIt(Underlay.Choice c, String publicIp, String iface, String address, int mtu) {
        Underlay u = Underlay.select(reader, c, publicIp == null ? null : Ipv4Address.parse(publicIp));
        assertEquals(iface, u.iface());
        assertEquals(address, u.address().toString());
        assertEquals(mtu, u.mtu());
    }

    static final NetConf DUAL = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
            + "\"IPv6Network\":\"fd00:10:244::/56\"}");

    /** The IPv6 address as flannel's LookupExtIface takes it (pkg/ip GetInterfaceIP6Addrs: global first, none deprecated). */
    @Test
    void theIpv6AddressIsTheInterfacesAsFlannelFindsIt() {
        Underlay a = Underlay.select(reader, Underlay.Choice.of("ethA"), null).withIpv6(DUAL, reader, null);
        assertEquals(Ipv6Address.parse("fd00:9:1::2"), a.addressV6(), "global, not deprecated");
        assertEquals(a.addressV6(), a.publicIpv6());
        Underlay given = Underlay.select(reader, Underlay.Choice.of("ethA"), null).withIpv6(DUAL, reader, Ipv6Address.parse("fd00:99::1"));
        assertEquals(Ipv6Address.parse("fd00:9:1::2"), given.addressV6());
        assertEquals(Ipv6Address.parse("fd00:99::1"), given.publicIpv6(), "--public-ipv6");
        Underlay b = Underlay.select(reader, Underlay.Choice.of("ethB"), null).withIpv6(DUAL, reader, null);
        assertTrue(b.addressV6().toString().startsWith("fe80:"), "link-local when that is all it has: " + b.addressV6());
        assertEquals("ethA", Underlay.select(reader, Underlay.Choice.of("fd00:9:1::2"), null).iface(), "--iface as an IPv6 address");
        Underlay v4 = Underlay.select(reader, Underlay.Choice.of("ethA"), null);
        assertEquals(null, v4.withIpv6(NetConfParser.parse("{\"Network\":\"10.244.0.0/16\"}"), reader, null).addressV6());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Underlay.select(reader, Underlay.Choice.of("ethD"), null).withIpv6(DUAL, reader, null));
        assertEquals("ethD has no IPv6 address and EnableIPv6 is on: give ethD a global IPv6 address, pick another interface"
                + " (--iface), or pass --public-ipv6", none.getMessage());
    }

    @Test
    void nothingMatchingIsOneLineNamingEveryChoice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Underlay.select(reader, choice(List.of("eth9", "ethC"), List.of("^nomatch"), null), null));
        assertTrue(e.getMessage().startsWith("no interface matches --iface eth9, --iface ethC, --iface-regex ^nomatch (this node has ["),
                e.getMessage());
        assertTrue(e.getMessage().contains("ethA 10.9.1.2"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Underlay.select(reader, choice(List.of(), List.of("(["), null), null));
        assertTrue(bad.getMessage().startsWith("--iface-regex ([: not a regular expression"), bad.getMessage());
    }
}
