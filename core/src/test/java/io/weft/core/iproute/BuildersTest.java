package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every builder renders exactly the iproute2 command (batch line) flannel's vxlan backend runs. */
class BuildersTest {

    private static final Ipv4Cidr SUBNET_B = Ipv4Cidr.parse("10.244.2.0/24");
    private static final Ipv4Address NET_B = Ipv4Address.parse("10.244.2.0");
    private static final MacAddress MAC_B = MacAddress.parse("0e:5a:1f:00:00:02");
    private static final Ipv4Address PUBLIC_B = Ipv4Address.parse("172.31.0.2");

    private static void assertOp(String tool, String line, IpOp op) {
        assertEquals(tool, op.tool(), op.toString());
        assertEquals(line, op.line());
        assertEquals(tool + " " + line, op.toString());
        assertEquals(List.of(line.split(" ")), op.args());
    }

    @Test
    void routes() {
        RouteEntry overlay = RouteEntry.onlink(SUBNET_B, NET_B, "flannel.1");
        assertOp("ip", "route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", overlay.replace());
        assertOp("ip", "route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", overlay.add());
        assertOp("ip", "route del 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", overlay.delete());
        assertEquals("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", overlay.toString());

        // DirectRouting and host-gw: straight to the peer's public IP on the underlay
        RouteEntry direct = RouteEntry.via(SUBNET_B, PUBLIC_B, "eth0");
        assertOp("ip", "route replace 10.244.2.0/24 via 172.31.0.2 dev eth0", direct.replace());
        assertFalse(direct.onlink());

        RouteEntry local = RouteEntry.direct(Ipv4Cidr.parse("10.244.1.0/24"), "cni0");
        assertOp("ip", "route replace 10.244.1.0/24 dev cni0", local.replace());
        assertEquals("10.244.1.0/24 dev cni0", local.toString());

        RouteEntry dflt = RouteEntry.via(Ipv4Cidr.parse("0.0.0.0/0"), Ipv4Address.parse("10.244.1.1"), "eth0");
        assertOp("ip", "route replace default via 10.244.1.1 dev eth0", dflt.replace());
        assertOp("ip", "route replace 10.244.1.1/32 dev eth0",
                RouteEntry.direct(Ipv4Cidr.parse("10.244.1.1/32"), "eth0").replace());
    }

    @Test
    void neighbours() {
        NeighEntry n = new NeighEntry(NET_B, MAC_B, "flannel.1");
        assertOp("ip", "neigh replace 10.244.2.0 lladdr 0e:5a:1f:00:00:02 dev flannel.1 nud permanent", n.replace());
        assertOp("ip", "neigh del 10.244.2.0 dev flannel.1", n.delete());
        assertEquals("10.244.2.0 lladdr 0e:5a:1f:00:00:02 dev flannel.1", n.toString());
    }

    @Test
    void fdb() {
        FdbEntry f = new FdbEntry(MAC_B, "flannel.1", PUBLIC_B);
        assertOp("bridge", "fdb replace 0e:5a:1f:00:00:02 dev flannel.1 dst 172.31.0.2 self permanent", f.replace());
        assertOp("bridge", "fdb del 0e:5a:1f:00:00:02 dev flannel.1 dst 172.31.0.2 self", f.delete());
        assertEquals("0e:5a:1f:00:00:02 dev flannel.1 dst 172.31.0.2", f.toString());
    }

    @Test
    void vxlanDevice() {
        Ipv4Address local = Ipv4Address.parse("172.31.0.1");
        assertOp("ip", "link add flannel.1 address 0e:5a:1f:00:00:01 mtu 1450 type vxlan id 1 local 172.31.0.1 dev eth0"
                        + " dstport 8472 nolearning",
                Link.addVxlan("flannel.1", 1, 8472, local, "eth0", MacAddress.parse("0e:5a:1f:00:00:01"), 1450));
        assertOp("ip", "link add flannel.4096 type vxlan id 4096 local 172.31.0.1 dstport 4789 nolearning",
                Link.addVxlan("flannel.4096", 4096, 4789, local, null, null, 0));
    }

    @Test
    void links() {
        assertOp("ip", "link add cni0 type bridge", Link.addBridge("cni0"));
        assertOp("ip", "link add veth1 type veth peer name eth0", Link.addVeth("veth1", "eth0"));
        assertOp("ip", "link add d0 type dummy", Link.addDummy("d0"));
        assertOp("ip", "link set dev flannel.1 up", Link.up("flannel.1"));
        assertOp("ip", "link set dev flannel.1 down", Link.down("flannel.1"));
        assertOp("ip", "link set dev flannel.1 mtu 1450", Link.mtu("flannel.1", 1450));
        assertOp("ip", "link set dev flannel.1 address 0e:5a:1f:00:00:01",
                Link.address("flannel.1", MacAddress.parse("0E:5A:1F:00:00:01")));
        assertOp("ip", "link set dev veth1 master cni0", Link.master("veth1", "cni0"));
        assertOp("ip", "link set dev veth1 name eth0", Link.rename("veth1", "eth0"));
        assertOp("ip", "link del dev flannel.1", Link.delete("flannel.1"));
        assertOp("bridge", "link set dev veth1 hairpin on", Link.hairpin("veth1", true));
        assertOp("bridge", "link set dev veth1 hairpin off", Link.hairpin("veth1", false));
        assertOp("ip", "link set dev eth0 netns pod1", Link.moveTo("eth0", Netns.named("pod1")));
        assertOp("ip", "link set dev eth0 netns /proc/4242/ns/net", Link.moveTo("eth0", Netns.of("/proc/4242/ns/net")));
        assertOp("ip", "link set dev eth0 netns /proc/" + ProcessHandle.current().pid() + "/ns/net",
                Link.moveTo("eth0", Netns.CURRENT));
    }

    @Test
    void currentNamespaceIsNamedByThisProcessNotByTheIpProcess() throws Exception {
        // ip -n X / nsenter enter X before reading the target, so /proc/self there would be X itself
        String target = Netns.CURRENT.linkTarget();
        assertFalse(target.contains("self"), target);
        assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")), Files.readSymbolicLink(Path.of(target)));
    }

    @Test
    void addresses() {
        Ipv4Address a = Ipv4Address.parse("10.244.1.0");
        assertOp("ip", "addr add 10.244.1.0/32 dev flannel.1", Addr.add("flannel.1", a, 32));
        assertOp("ip", "addr replace 10.244.1.1/24 dev cni0", Addr.replace("cni0", Ipv4Address.parse("10.244.1.1"), 24));
        assertOp("ip", "addr del 10.244.1.0/32 dev flannel.1", Addr.delete("flannel.1", a, 32));
        assertOp("ip", "addr flush dev flannel.1", Addr.flush("flannel.1"));
        assertEquals("10.244.1.1/24 dev cni0", new IfAddress("cni0", Ipv4Address.parse("10.244.1.1"), 24).toString());
    }

    @Test
    void namespacesPrefixTheCommand() {
        List<String> args = List.of("-j", "route");
        assertEquals(List.of("ip", "-j", "route"), Netns.CURRENT.command("ip", args));
        assertEquals(List.of("bridge", "-n", "node1", "-j", "route"), Netns.named("node1").command("bridge", args));
        assertEquals(List.of("nsenter", "--net=/var/run/netns/node1", "ip", "-j", "route"),
                Netns.path(Path.of("/var/run/netns/node1")).command("ip", args));

        assertInstanceOf(Netns.File.class, Netns.of("/proc/42/ns/net"));
        assertEquals(Path.of("/proc/42/ns/net"), ((Netns.File) Netns.of("/proc/42/ns/net")).file());
        assertEquals(Netns.named("cni-1234"), Netns.of("cni-1234"));
        assertEquals("netns cni-1234", Netns.named("cni-1234").toString());
        assertEquals("netns /proc/42/ns/net", Netns.of("/proc/42/ns/net").toString());
    }

    @Test
    void batchKeepsOrder() {
        IpBatch b = new IpBatch();
        assertTrue(b.isEmpty());
        IpOp link = Link.up("flannel.1");
        IpOp route = RouteEntry.onlink(SUBNET_B, NET_B, "flannel.1").replace();
        IpOp fdb = new FdbEntry(MAC_B, "flannel.1", PUBLIC_B).replace();
        b.add(link).addAll(List.of(route, fdb));
        assertEquals(List.of(link, route, fdb), b.ops());
        assertEquals(3, b.size());
        assertFalse(b.isEmpty());
    }

    @Test
    void ipExceptionSaysCommandExitCodeAndStderr() {
        IpException e = new IpException(List.of("ip", "-n", "x", "route", "replace", "10.0.0.0/8", "dev", "nope"), 2,
                "Cannot find device \"nope\"\n", "failed: ip route replace 10.0.0.0/8 dev nope");
        assertEquals("ip -n x route replace 10.0.0.0/8 dev nope exited 2: Cannot find device \"nope\"\n"
                + "failed: ip route replace 10.0.0.0/8 dev nope", e.getMessage());
        assertEquals(2, e.exitCode());
        assertEquals("Cannot find device \"nope\"\n", e.stderr());
        assertEquals("ip", e.command().getFirst());
        assertEquals("ip link exited 1: boom", new IpException(List.of("ip", "link"), 1, "boom\n", null).getMessage());
    }
}
