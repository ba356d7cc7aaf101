package io.weft.cni.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rtnetlink requests against a real kernel, in namespaces made here: what each makes is what iproute2 shows
 * for the equivalent {@code ip} line, and a refusal names that line and the kernel's reason.
 */
class RtnlTest {
    @BeforeAll
    static void rootAndLibrary() {
        NetnsLab.requireRoot();
        assertTrue(Native.isAvailable(), "the JNI library did not load: " + Native.unavailabilityCause());
    }

    /** Bridge br9 (02:00:00:00:00:01) with port vh9, whose peer is eth7 in the namespace {@code pod}; the bridge's index. */
    static int bridgeWithAPortInto(Rtnl host, String pod, int mtu) {
        host.addBridge("br9", MacAddress.parse("02:00:00:00:00:01"), mtu);
        int br = host.index("br9");
        assertTrue(br > 0);
        int podNs = Native.open("/var/run/netns/" + pod, Native.O_RDONLY, 0);
        try {
            host.addVeth("vh9", MacAddress.parse("02:00:00:00:00:02"), br, "br9", "eth7", MacAddress.parse("02:00:00:00:00:03"), mtu, podNs);
        } finally {
            Native.close(podNs);
        }
        return br;
    }

    @Test
    void buildsABridgePortedVethIntoAnotherNamespaceWithAddressesAndRoutes() {
        try (NetnsLab lab = new NetnsLab("rtnl")) {
            String node = lab.netns("node");
            String pod = lab.netns("pod");
            try (Rtnl host = Rtnl.open("/var/run/netns/" + node); Rtnl inPod = Rtnl.open("/var/run/netns/" + pod)) {
                int br = bridgeWithAPortInto(host, pod, 1400);
                host.hairpin("vh9", true);
                host.address(br, "br9", Ipv4Address.parse("10.9.0.1"), 24, true);
                host.address(br, "br9", Ipv4Address.parse("10.9.0.1"), 24, true); // replace: twice is fine
                host.up("br9");
                int eth = inPod.index("eth7");
                inPod.address(eth, "eth7", Ipv4Address.parse("10.9.0.5"), 24, false);
                inPod.up("eth7");
                inPod.route(Ipv4Cidr.parse("10.8.0.0/16"), Ipv4Address.parse("10.9.0.1"), eth, "eth7");
                inPod.route(Ipv4Cidr.parse("0.0.0.0/0"), Ipv4Address.parse("10.9.0.1"), eth, "eth7");
            }
            String br = NetnsLab.sh("ip", "-n", node, "-d", "link", "show", "br9");
            assertTrue(br.contains("02:00:00:00:00:01") && br.contains("mtu 1400") && br.contains("bridge") && br.contains(",UP"), br);
            String port = NetnsLab.sh("ip", "-n", node, "-d", "link", "show", "vh9");
            assertTrue(port.contains("master br9") && port.contains("hairpin on") && port.contains("mtu 1400") && port.contains(",UP"), port);
            assertTrue(NetnsLab.sh("ip", "-n", node, "addr", "show", "br9").contains("inet 10.9.0.1/24 scope global br9"));
            String eth = NetnsLab.sh("ip", "-n", pod, "addr", "show", "eth7");
            assertTrue(eth.contains("02:00:00:00:00:03") && eth.contains("inet 10.9.0.5/24 scope global eth7") && eth.contains(",UP"), eth);
            String routes = NetnsLab.sh("ip", "-n", pod, "route");
            assertTrue(routes.contains("default via 10.9.0.1 dev eth7") && routes.contains("10.8.0.0/16 via 10.9.0.1 dev eth7"), routes);
            NetnsLab.exec(pod, "ping", "-c", "1", "-W", "2", "10.9.0.1");
        }
    }

    /** CHECK's reads: a link by name, address and route dumps of both families, as ip shows them; IPv6 added nodad. */
    @Test
    void readsLinksAddressesAndRoutesOfBothFamilies() {
        try (NetnsLab lab = new NetnsLab("rtnlr")) {
            String node = lab.netns("node");
            String pod = lab.netns("pod");
            try (Rtnl host = Rtnl.open("/var/run/netns/" + node); Rtnl inPod = Rtnl.open("/var/run/netns/" + pod)) {
                int br = bridgeWithAPortInto(host, pod, 1500);
                host.address(br, "br9", IpAddress.parse("fd00:9::1"), 64, true);
                host.up("br9");
                Rtnl.Link bridge = host.link("br9");
                Rtnl.Link port = host.link("vh9");
                assertTrue(bridge.up() && bridge.index() == br && bridge.master() == 0, bridge.toString());
                assertTrue(port.up() && port.master() == br, port.toString());
                assertEquals(null, host.link("nosuch0"));

                int eth = inPod.index("eth7");
                assertFalse(inPod.link("eth7").up(), "the pod end starts down");
                inPod.address(eth, "eth7", IpAddress.parse("10.9.0.5"), 24, false);
                inPod.address(eth, "eth7", IpAddress.parse("fd00:9::5"), 64, false);
                inPod.up("eth7");
                inPod.route(IpCidr.parse("10.8.0.0/16"), IpAddress.parse("10.9.0.1"), eth, "eth7");
                inPod.route(IpCidr.parse("::/0"), IpAddress.parse("fd00:9::1"), eth, "eth7");
                java.util.List<String> addrs = inPod.addresses(eth).stream().map(a -> a.address() + "/" + a.prefix()).toList();
                assertTrue(addrs.contains("10.9.0.5/24") && addrs.contains("fd00:9::5/64"), addrs.toString());
                java.util.List<String> routes = inPod.routes().stream()
                        .map(r -> r.dst() + (r.gateway() == null ? "" : " via " + r.gateway()) + (r.oif() == eth ? " eth7" : "")).toList();
                assertTrue(routes.contains("10.8.0.0/16 via 10.9.0.1 eth7") && routes.contains("::/0 via fd00:9::1 eth7")
                        && routes.contains("10.9.0.0/24 eth7") && routes.contains("fd00:9::/64 eth7"), routes.toString());
                assertTrue(routes.stream().noneMatch(r -> r.startsWith("127.")), "only the main table: " + routes);
            }
            // (the link-local addresses the kernel adds itself do go through DAD)
            assertEquals("inet6 fd00:9::5/64 scope global nodad", NetnsLab.exec(pod, "ip", "-6", "-o", "addr", "show", "dev", "eth7", "scope", "global")
                    .replaceAll("^\\d+: eth7\\s+", "").replaceAll("\\\\.*", "").strip(), "added without DAD, usable at once");
            assertFalse(NetnsLab.sh("ip", "-n", node, "-6", "-o", "addr", "show", "dev", "br9", "scope", "global").contains("tentative"));
            NetnsLab.exec(pod, "ping", "-6", "-c", "1", "-W", "2", "fd00:9::1");
        }
    }

    @Test
    void refusalsNameTheStepAndTheReasonAndMissingDevicesAreAnswers() {
        try (NetnsLab lab = new NetnsLab("rtnle")) {
            String node = lab.netns("node");
            try (Rtnl host = Rtnl.open("/var/run/netns/" + node)) {
                host.addBridge("br9", MacAddress.parse("02:00:00:00:00:01"), 1500);
                NetlinkException e = assertThrows(NetlinkException.class,
                        () -> host.addBridge("br9", MacAddress.parse("02:00:00:00:00:01"), 1500));
                assertEquals(NetlinkException.EEXIST, e.errno());
                assertTrue(e.getMessage().startsWith("ip link add br9 address 02:00:00:00:00:01 mtu 1500 type bridge in /var/run/netns/"
                        + node + ": File exists"), e.getMessage());
                e = assertThrows(NetlinkException.class, () -> host.up("nosuch0"));
                assertEquals(NetlinkException.ENODEV, e.errno());
                assertTrue(e.getMessage().contains("ip link set dev nosuch0 up"), e.getMessage());
                assertEquals(0, host.index("nosuch0"));
                assertFalse(host.deleteLink("nosuch0"));
                assertTrue(host.deleteLink("br9"));
                assertEquals(0, host.index("br9"));
            }
            NetlinkException e = assertThrows(NetlinkException.class, () -> Rtnl.open("/var/run/netns/weft-no-such-ns"));
            assertTrue(e.getMessage().contains("weft-no-such-ns") && e.getMessage().contains("No such file or directory"), e.getMessage());
        }
    }
}
