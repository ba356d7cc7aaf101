package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cni.Node;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * IPv6 in the plugin: a dual-stack subnet.env (flannel's pkg/subnet WriteSubnetFile with both families) gives each
 * pod one address per family, the IPv6 gateway on cni0 and IPv6 routes, in the result the reference bridge plugin
 * returns for flannel's delegate config (flannel-io/cni-plugin flannel_linux.go getDelegateIPAM: one host-local
 * range set per family, IPv4 first, and a route to each cluster network); an IPv6-only subnet.env works alone.
 *
 * <p>Every ping here runs straight after the ADD, with no wait: the plugin adds IPv6 addresses nodad (see
 * Rtnl.address), so they are usable at once; with duplicate address detection they would be "tentative" for a
 * second or more and these pings would fail now and then.
 */
class DualStackIT {
    static final String DUAL = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
            + "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";
    static final String V6_ONLY = "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\n"
            + "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";

    static Node node(String tag, String subnetEnv) throws Exception {
        Node n = new Node(tag);
        Files.writeString(n.subnetFile, subnetEnv);
        return n;
    }

    @SuppressWarnings("unchecked")
    static List<String> ips(Map<String, Object> result) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> ip : (List<Map<String, Object>>) result.get("ips")) {
            String a = (String) ip.get("address");
            out.add(a.substring(0, a.indexOf('/')));
        }
        return out;
    }

    /** host-local's config as flannel's CNI plugin hands it to the bridge plugin: one range set per family. */
    static String hostLocalConf(Node n, boolean v4) {
        String ranges = (v4 ? "[{\"subnet\":\"10.244.1.0/24\"}]," : "") + "[{\"subnet\":\"fd00:10:244:1::/64\"}]";
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"weftnet\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
                + n.dir.resolve("networks") + "\",\"ranges\":[" + ranges + "]}}";
    }

    @Test
    void aDualStackPodGetsBothFamiliesAndCheckAndDelCoverBoth() throws Exception {
        try (Node n = node("cnids", DUAL)) {
            String pod = n.pod("p");
            Map<String, Object> r = n.run.weft("ADD", "ds-1", pod, "eth0", n.conf("1.1.0")).ok();
            assertEquals(List.of(Map.of("interface", 2L, "address", "10.244.1.2/24", "gateway", "10.244.1.1"),
                    Map.of("interface", 2L, "address", "fd00:10:244:1::2/64", "gateway", "fd00:10:244:1::1")), r.get("ips"));
            assertEquals(List.of(Map.of("dst", "10.244.0.0/16"), Map.of("dst", "fd00:10:244::/56"),
                    Map.of("dst", "0.0.0.0/0", "gw", "10.244.1.1"), Map.of("dst", "::/0", "gw", "fd00:10:244:1::1")), r.get("routes"));
            assertEquals("4", ((List<Map<String, Object>>) n.run.weft("ADD", "ds-0", n.pod("p0"), "eth0", n.conf("0.3.1")).ok().get("ips"))
                    .get(0).get("version"), "ips[].version before 1.0.0");
            String v6 = NetnsLab.exec(pod, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global");
            assertTrue(v6.contains("inet6 fd00:10:244:1::2/64") && !v6.contains("tentative"), v6);
            String routes = NetnsLab.exec(pod, "ip", "-6", "route");
            assertTrue(routes.contains("fd00:10:244::/56 via fd00:10:244:1::1 dev eth0") && routes.contains("default via fd00:10:244:1::1 dev eth0"),
                    routes);
            String bridge = n.sh("ip", "-o", "addr", "show", "dev", "cni0");
            assertTrue(bridge.contains("inet 10.244.1.1/24") && bridge.contains("inet6 fd00:10:244:1::1/64"), bridge);
            assertEquals("1", n.sh("cat", "/proc/sys/net/ipv6/conf/all/forwarding").strip(), "isGateway turns on IPv6 forwarding");
            assertEquals("ds-1\r\neth0", Files.readString(n.ipamDir("weftnet").resolve("fd00:10:244:1::2")));
            assertEquals("fd00:10:244:1::3", Files.readString(n.ipamDir("weftnet").resolve("last_reserved_ip.1")));
            NetnsLab.exec(pod, "ping", "-6", "-c", "1", "-W", "2", "fd00:10:244:1::1");

            String conf = CommandsIT.withPrev(n.conf("1.1.0"), r);
            n.run.weft("CHECK", "ds-1", pod, "eth0", conf).ok();
            NetnsLab.exec(pod, "ip", "-6", "route", "del", "default");
            NetnsLab.exec(pod, "ip", "addr", "del", "fd00:10:244:1::2/64", "dev", "eth0");
            String msg = (String) n.run.weft("CHECK", "ds-1", pod, "eth0", conf).error(999).get("msg");
            assertTrue(msg.contains("address fd00:10:244:1::2/64 is not on eth0") && msg.contains("route ::/0 via fd00:10:244:1::1 is missing")
                    && !msg.contains("10.244.1.2/24"), msg);

            n.run.weft("DEL", "ds-1", pod, "eth0", n.conf("1.1.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("10.244.1.2")) || Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::2")),
                    "DEL frees both families' addresses");
            assertFalse(NetnsLab.exec(pod, "ip", "link").contains("eth0"));
        }
    }

    @Test
    void podsOnOneBridgeReachEachOtherOverBothFamilies() throws Exception {
        try (Node n = node("cnids6", DUAL)) {
            String a = n.pod("a");
            String b = n.pod("b");
            List<String> ipA = ips(n.run.weft("ADD", "a", a, "eth0", n.conf("1.1.0")).ok());
            List<String> ipB = ips(n.run.weft("ADD", "b", b, "eth0", n.conf("1.1.0")).ok());
            NetnsLab.exec(a, "ping", "-6", "-c", "2", "-W", "2", ipB.get(1));
            NetnsLab.exec(b, "ping", "-6", "-c", "2", "-W", "2", ipA.get(1));
            NetnsLab.exec(a, "ping", "-c", "1", "-W", "2", ipB.get(0));
            n.sh("ping", "-6", "-c", "1", "-W", "2", ipA.get(1)); // the node reaches its pods through cni0
        }
    }

    /** The reference bridge plugin with flannel's dual-stack delegate config, and weft with the same subnet.env: the same result. */
    @Test
    void theResultIsTheReferenceBridgesForFlannelsDelegateConfig() throws Exception {
        try (Node ref = node("cnidsref", DUAL); Node weft = node("cnidsw", DUAL)) {
            String refConf = "{\"cniVersion\":\"1.0.0\",\"name\":\"refnet\",\"type\":\"bridge\",\"bridge\":\"cni0\",\"isGateway\":true,"
                    + "\"isDefaultGateway\":true,\"hairpinMode\":true,\"mtu\":1450,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
                    + ref.dir.resolve("networks") + "\",\"ranges\":[[{\"subnet\":\"10.244.1.0/24\"}],[{\"subnet\":\"fd00:10:244:1::/64\"}]],"
                    + "\"routes\":[{\"dst\":\"10.244.0.0/16\"},{\"dst\":\"fd00:10:244::/56\"}]}}";
            Map<String, Object> r = ref.run.ref("bridge", "ADD", "shape", ref.pod("p"), "eth0", refConf).ok();
            Map<String, Object> w = weft.run.weft("ADD", "shape", weft.pod("p"), "eth0", weft.conf("1.0.0")).ok();
            assertEquals(ReferenceInteropIT.shape(r), ReferenceInteropIT.shape(w), "reference: " + r + "\nweft:      " + w);
            assertEquals(r.get("ips"), w.get("ips"));
            assertEquals(r.get("routes"), w.get("routes"));
        }
    }

    /** host-local reads weft's IPv6 allocations and weft host-local's, both ways, each under the other's lock. */
    @Test
    void hostLocalAndWeftShareTheIpv6RangeBothWays() throws Exception {
        try (Node n = node("cnidshl", DUAL)) {
            String pod = n.pod("p");
            assertEquals(List.of("10.244.1.2", "fd00:10:244:1::2"), ips(n.run.ref("host-local", "ADD", "hl-1", pod, "eth0", hostLocalConf(n, true)).ok()));
            assertEquals(List.of("10.244.1.3", "fd00:10:244:1::3"), ips(n.run.weft("ADD", "w-1", pod, "eth0", n.conf("1.0.0")).ok()),
                    "weft continues after host-local's last_reserved_ip.0 and .1");
            assertEquals(List.of("10.244.1.4", "fd00:10:244:1::4"), ips(n.run.ref("host-local", "ADD", "hl-2", pod, "eth1", hostLocalConf(n, true)).ok()),
                    "host-local continues after weft's");
            n.run.ref("host-local", "DEL", "w-1", pod, "eth0", hostLocalConf(n, true)).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::3")), "host-local found weft's IPv6 file by its owner");
            n.run.weft("DEL", "hl-1", null, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::2")), "weft found host-local's");
            assertTrue(Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::4")));
        }
    }

    @Test
    void parallelDualStackAddsGetDistinctAddressesInBothFamiliesAndGcFreesBoth() throws Exception {
        try (Node n = node("cnidspar", DUAL)) {
            int count = 12;
            List<String> pods = new ArrayList<>();
            for (int i = 0; i < count; i++) pods.add(n.pod("p" + i));
            Set<String> v4 = new HashSet<>();
            Set<String> v6 = new HashSet<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(count)) {
                List<Future<Map<String, Object>>> fs = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int k = i;
                    fs.add(pool.submit(() -> n.run.weft("ADD", "par-" + k, pods.get(k), "eth0", n.conf("1.1.0")).ok()));
                }
                for (Future<Map<String, Object>> f : fs) {
                    List<String> ips = ips(f.get());
                    v4.add(ips.get(0));
                    v6.add(ips.get(1));
                }
            }
            assertEquals(count, v4.size(), "distinct IPv4 addresses: " + v4);
            assertEquals(count, v6.size(), "distinct IPv6 addresses: " + v6);
            NetnsLab.exec(pods.get(0), "ping", "-6", "-c", "1", "-W", "2", new ArrayList<>(v6).get(count - 1));
            // GC keeps one attachment and frees both families of every other, and their veths
            String keep = ",\"cni.dev/valid-attachments\":[{\"containerID\":\"par-0\",\"ifname\":\"eth0\"}]";
            n.run.weft("GC", null, null, null, n.conf("1.1.0", keep)).ok();
            try (var files = Files.list(n.ipamDir("weftnet"))) {
                assertEquals(2, files.filter(f -> {
                    String s = f.getFileName().toString();
                    return Character.isDigit(s.charAt(0)) || s.startsWith("fd00");
                }).count(), "par-0's two addresses are all that is left");
            }
            assertEquals(1, n.sh("ip", "-o", "link", "show", "master", "cni0").lines().count(), "one bridge port left");
        }
    }

    @Test
    void anIpv6OnlyNodeWorksAlone() throws Exception {
        try (Node n = node("cniv6", V6_ONLY)) {
            String a = n.pod("a");
            String b = n.pod("b");
            Map<String, Object> r = n.run.weft("ADD", "a", a, "eth0", n.conf("1.0.0")).ok();
            assertEquals(List.of(Map.of("interface", 2L, "address", "fd00:10:244:1::2/64", "gateway", "fd00:10:244:1::1")), r.get("ips"));
            assertEquals(List.of(Map.of("dst", "fd00:10:244::/56"), Map.of("dst", "::/0", "gw", "fd00:10:244:1::1")), r.get("routes"));
            assertEquals("fd00:10:244:1::2", Files.readString(n.ipamDir("weftnet").resolve("last_reserved_ip.0")), "the only range is range 0");
            assertEquals("", NetnsLab.exec(a, "ip", "-4", "-o", "addr", "show", "dev", "eth0"), "no IPv4 address");
            assertFalse(n.sh("ip", "-4", "-o", "addr", "show", "dev", "cni0").contains("inet "), "no IPv4 gateway");
            String ipB = ips(n.run.weft("ADD", "b", b, "eth0", n.conf("1.0.0")).ok()).get(0);
            NetnsLab.exec(a, "ping", "-6", "-c", "2", "-W", "2", ipB);
            assertEquals(List.of("fd00:10:244:1::4"), ips(n.run.ref("host-local", "ADD", "hl", a, "eth1", hostLocalConf(n, false)).ok()),
                    "host-local continues after weft's last_reserved_ip.0");
            n.run.weft("CHECK", "a", a, "eth0", CommandsIT.withPrev(n.conf("1.0.0"), r)).ok();
            n.run.weft("DEL", "a", a, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::2")));
        }
    }

    /** ipMasq on a dual-stack pod: one rule per family, in weft's ip and ip6 tables; DEL takes both. */
    @Test
    void ipMasqCoversBothFamilies() throws Exception {
        try (Node n = node("cnidsmasq", DUAL)) {
            String pod = n.pod("p");
            String conf = n.conf("1.0.0", ",\"ipMasq\":true");
            n.run.weft("ADD", "m", pod, "eth0", conf).ok();
            assertTrue(n.sh("nft", "list", "table", "ip6", "weft-cni")
                    .contains("ip6 saddr fd00:10:244:1::2 ip6 daddr != fd00:10:244::/56 masquerade comment \"weft:m/eth0\""));
            assertTrue(n.sh("nft", "list", "table", "ip", "weft-cni").contains("ip saddr 10.244.1.2 ip daddr != 10.244.0.0/16 masquerade"));
            n.run.weft("DEL", "m", pod, "eth0", conf).ok();
            assertFalse(n.sh("nft", "list", "ruleset").contains("weft:m/eth0"));
        }
    }
    /**
     * Issue 15 item 7 for IPv6: a FLANNEL_IPV6_SUBNET outside FLANNEL_IPV6_NETWORK is refused naming the field (code
     * 11, the agent is not ready), before anything is made: no bridge, nothing in the pod, no allocation of either
     * family; STATUS says the same.
     */
    @Test
    void anIpv6SubnetOutsideItsNetworkIsRefusedAndTheNodeLeftAlone() throws Exception {
        try (Node n = node("cnids6out", DUAL.replace("FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64", "FLANNEL_IPV6_SUBNET=fd00:99:1::1/64"))) {
            String pod = n.pod("p");
            String msg = (String) n.run.weft("ADD", "out", pod, "eth0", n.conf("1.1.0")).error(11).get("msg");
            assertTrue(msg.endsWith("FLANNEL_IPV6_SUBNET: " + n.subnetFile + ": fd00:99:1::1/64 is not inside FLANNEL_IPV6_NETWORK fd00:10:244::/56"), msg);
            assertFalse(n.sh("ip", "-o", "link").contains("cni0"), "no bridge made");
            assertFalse(NetnsLab.exec(pod, "ip", "-o", "link").contains("eth0"), "nothing in the pod");
            assertFalse(Files.exists(n.ipamDir("weftnet")) && Files.list(n.ipamDir("weftnet")).anyMatch(PodsIT::isAllocation), "no allocation");
            assertTrue(((String) n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).error(50).get("msg")).contains("FLANNEL_IPV6_SUBNET"));
        }
    }

    /** ADDs killed at staggered moments on a dual-stack node: no empty allocation file in either family, GC frees both. */
    @Test
    void dualStackAddsKilledMidwayLeaveNoEmptyAllocation() throws Exception {
        try (Node n = node("cnidskill", DUAL)) {
            PodsIT.killAddsMidwayThenGc(n, 10, 2);
        }
    }

    /**
     * A node that turns IPv6 on (its agent rewrites subnet.env with both families, as flanneld does after EnableIPv6):
     * pods added before keep their IPv4 attachment, which CHECK still passes and DEL frees; the next ADD gives both
     * families, and cni0 gains the IPv6 gateway beside the IPv4 one.
     */
    @Test
    void aNodeThatTurnsDualStackKeepsItsIpv4PodsAndGivesNewOnesBoth() throws Exception {
        try (Node n = new Node("cnidsturn")) {
            String a = n.pod("a");
            Map<String, Object> ra = n.run.weft("ADD", "a", a, "eth0", n.conf("1.0.0")).ok();
            assertEquals(List.of("10.244.1.2"), ips(ra));
            Files.writeString(n.subnetFile, DUAL);
            String b = n.pod("b");
            assertEquals(List.of("10.244.1.3", "fd00:10:244:1::2"), ips(n.run.weft("ADD", "b", b, "eth0", n.conf("1.0.0")).ok()));
            String bridge = n.sh("ip", "-o", "addr", "show", "dev", "cni0");
            assertTrue(bridge.contains("inet 10.244.1.1/24") && bridge.contains("inet6 fd00:10:244:1::1/64"), bridge);
            NetnsLab.exec(a, "ping", "-c", "1", "-W", "2", "10.244.1.3");
            NetnsLab.exec(b, "ping", "-6", "-c", "1", "-W", "2", "fd00:10:244:1::1");
            n.run.weft("CHECK", "a", a, "eth0", CommandsIT.withPrev(n.conf("1.0.0"), ra)).ok();
            n.run.weft("DEL", "a", a, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("10.244.1.2")), "DEL frees the IPv4-only pod's address");
            assertTrue(Files.exists(n.ipamDir("weftnet").resolve("fd00:10:244:1::2")), "and nothing of b's");
        }
    }
}
