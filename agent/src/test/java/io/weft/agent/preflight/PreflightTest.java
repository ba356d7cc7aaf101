package io.weft.agent.preflight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.agent.underlay.Underlay;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConfParser;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which configs a node refuses before it is touched, table-driven: a node with eth0 172.31.0.1/24 (MTU 1500), a
 * docker0 172.17.0.1/16, a route to 192.168.48.0/20 via a router, and routes and addresses no bigger than a node's
 * subnet, which are the pod network's own (cni0 10.244.1.1/24, a peer's 10.244.2.0/24 on flannel.1, a host-gw route to
 * 10.245.3.0/24 via a peer on eth0 left by an earlier run), never an overlap.
 */
class PreflightTest {
    static final Underlay UNDERLAY = new Underlay("eth0", Ipv4Address.parse("172.31.0.1"), Ipv4Cidr.parse("172.31.0.0/24"), 1500);
    static final List<IfAddress> ADDRESSES = List.of(
            new IfAddress("eth0", Ipv4Address.parse("172.31.0.1"), 24),
            new IfAddress("docker0", Ipv4Address.parse("172.17.0.1"), 16),
            new IfAddress("cni0", Ipv4Address.parse("10.244.1.1"), 24),
            new IfAddress("lo", Ipv4Address.parse("127.0.0.1"), 8));
    static final List<RouteEntry> ROUTES = List.of(
            new RouteEntry(Ipv4Cidr.parse("0.0.0.0/0"), Ipv4Address.parse("172.31.0.254"), "eth0", false),
            new RouteEntry(Ipv4Cidr.parse("192.168.48.0/20"), Ipv4Address.parse("172.31.0.254"), "eth0", false),
            new RouteEntry(Ipv4Cidr.parse("10.245.3.0/24"), Ipv4Address.parse("172.31.0.3"), "eth0", false),
            new RouteEntry(Ipv4Cidr.parse("10.244.2.0/24"), Ipv4Address.parse("10.244.2.0"), "flannel.1", true));

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"Network\":\"10.244.0.0/16\"} | ''",
            "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":1500}} | ''",
            "{\"Network\":\"10.245.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}} | ''",
            "{\"Network\":\"172.16.0.0/12\"} | Network: 172.16.0.0/12 overlaps the underlay: eth0 has 172.31.0.1/24",
            "{\"Network\":\"172.17.0.0/16\"} | Network: 172.17.0.0/16 overlaps docker0's address 172.17.0.1/16 on this node",
            "{\"Network\":\"172.17.128.0/17\"} | Network: 172.17.128.0/17 overlaps docker0's address 172.17.0.1/16 on this node",
            "{\"Network\":\"192.168.0.0/16\"} | Network: 192.168.0.0/16 overlaps this node's route to 192.168.48.0/20",
            "{\"Network\":\"127.0.0.0/16\"} | Network: 127.0.0.0/16 overlaps lo's address 127.0.0.1/8",
            "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":9000}} | Backend.MTU: 9000 is more than eth0 carries (its MTU is 1500)",
            // each backend says whether it carries IPv6 (CARRIES_IPV6); wireguard does, in each of flannel's Modes
            "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/56\",\"Backend\":{\"Type\":\"wireguard\"}} | ''",
            "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/56\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"auto\",\"Datapath\":\"userspace\"}} | ''",
            // an IPv6-only cluster runs (the vxlan kernel backend carries IPv6); its backend is checked as dual-stack's
            "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/56\"} | ''",
            "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/56\",\"Backend\":{\"Type\":\"wireguard\",\"Mode\":\"ipv6\"}} | ''",
    })
    void refusesWhatCannotWorkAndNamesTheField(String conf, String refusal) {
        Runnable check = () -> Preflight.check(NetConfParser.parse(conf), UNDERLAY, ADDRESSES, ROUTES);
        if (refusal.isEmpty()) {
            check.run();
            return;
        }
        ConfigException e = assertThrows(ConfigException.class, check::run);
        assertEquals(refusal, e.getMessage().substring(0, Math.min(refusal.length(), e.getMessage().length())), e.getMessage());
    }

    /** IPv6Network is checked against the node's IPv6 addresses as Network is against its IPv4 ones. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "fd00:10:244::/56 | ''",
            "fd00:31::/32     | IPv6Network: fd00:31::/32 overlaps the underlay: eth0 has fd00:31::1",
            "fd00:31:0:0:1::/80 | IPv6Network: fd00:31:0:0:1::/80 overlaps eth0's address fd00:31::1/64 on this node",
            "fd00:99::/56     | IPv6Network: fd00:99::/56 overlaps docker0's address fd00:99::1/48 on this node",
    })
    void ipv6NetworkMustNotOverlapTheNodesIpv6Addresses(String network, String refusal) {
        java.util.List<io.weft.core.iproute.IfAddress6> v6 = List.of(
                new io.weft.core.iproute.IfAddress6("eth0", io.weft.core.net.Ipv6Address.parse("fd00:31::1"), 64, "global"),
                new io.weft.core.iproute.IfAddress6("eth0", io.weft.core.net.Ipv6Address.parse("fe80::1"), 64, "link"),
                new io.weft.core.iproute.IfAddress6("docker0", io.weft.core.net.Ipv6Address.parse("fd00:99::1"), 48, "global"),
                // cni0's gateway inside the pod network is the pods' own
                new io.weft.core.iproute.IfAddress6("cni0", io.weft.core.net.Ipv6Address.parse("fd00:10:244:3::1"), 64, "global"));
        String conf = "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"" + network
                + "\",\"IPv6SubnetLen\":" + (network.endsWith("/80") ? 96 : 64) + ",\"Backend\":{\"Type\":\"host-gw\"}}";
        Underlay dual = new Underlay("eth0", UNDERLAY.address(), UNDERLAY.network(), 1500,
                io.weft.core.net.Ipv6Address.parse("fd00:31::1"), io.weft.core.net.Ipv6Address.parse("fd00:31::1"));
        Runnable check = () -> Preflight.check(NetConfParser.parse(conf), dual, ADDRESSES, ROUTES, v6);
        if (refusal.isEmpty() && io.weft.agent.backend.hostgw.HostGwBackend.CARRIES_IPV6) {
            check.run();
            return;
        }
        // until host-gw carries IPv6, a config that passes the overlap checks is refused for that, after them
        String want = refusal.isEmpty() ? "EnableIPv6: the host-gw backend does not carry IPv6" : refusal;
        ConfigException e = assertThrows(ConfigException.class, check::run);
        assertEquals(want, e.getMessage().substring(0, Math.min(want.length(), e.getMessage().length())), e.getMessage());
    }
}
