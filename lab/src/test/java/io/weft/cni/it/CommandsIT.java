package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.spec.Json;
import io.weft.lab.cni.Node;
import io.weft.lab.cni.PluginRunner;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command's happy path and error path, through the built executable, with the spec's exact codes. */
class CommandsIT {
    static Node node;

    @BeforeAll
    static void up() {
        node = new Node("cnicmd");
    }

    @AfterAll
    static void down() {
        if (node != null) node.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String k) {
        return (List<Map<String, Object>>) m.get(k);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void addReturnsTheResultInTheCallersVersionAndPlumbsThePod(String v) {
        String pod = node.pod("add" + v.replace(".", ""));
        String id = "add-" + v;
        Map<String, Object> r = node.run.weft("ADD", id, pod, "eth0", node.conf(v)).ok();
        assertEquals(v, r.get("cniVersion"));
        List<Map<String, Object>> ifs = list(r, "interfaces");
        assertEquals(3, ifs.size());
        assertEquals("cni0", ifs.get(0).get("name"));
        assertTrue(((String) ifs.get(1).get("name")).startsWith("veth"));
        assertEquals("eth0", ifs.get(2).get("name"));
        assertEquals("/var/run/netns/" + pod, ifs.get(2).get("sandbox"));
        Map<String, Object> ip = list(r, "ips").getFirst();
        assertEquals(2L, ip.get("interface"));
        assertEquals("10.244.1.1", ip.get("gateway"));
        assertEquals(v.startsWith("0.") ? "4" : null, ip.get("version"), "ips[].version exists only before 1.0.0");
        String addr = (String) ip.get("address");
        assertTrue(addr.startsWith("10.244.1.") && addr.endsWith("/24"), addr);
        assertEquals(List.of(Map.of("dst", "10.244.0.0/16"), Map.of("dst", "0.0.0.0/0", "gw", "10.244.1.1")), r.get("routes"));

        String podAddr = NetnsLab.exec(pod, "ip", "-4", "-o", "addr", "show", "dev", "eth0");
        assertTrue(podAddr.contains(addr), podAddr);
        assertTrue(NetnsLab.exec(pod, "ip", "link", "show", "eth0").contains("mtu 1450"), "MTU from FLANNEL_MTU");
        String routes = NetnsLab.exec(pod, "ip", "-4", "route");
        assertTrue(routes.contains("default via 10.244.1.1 dev eth0"), routes);
        assertTrue(routes.contains("10.244.0.0/16 via 10.244.1.1 dev eth0"), routes);
        String mac = (String) ifs.get(2).get("mac");
        assertTrue(NetnsLab.exec(pod, "ip", "link", "show", "eth0").contains(mac), "result MAC is the pod's");
        String hostVeth = (String) ifs.get(1).get("name");
        String port = node.sh("ip", "-d", "link", "show", hostVeth);
        assertTrue(port.contains("master cni0") && port.contains("hairpin on"), port);
        assertTrue(node.sh("ip", "-4", "addr", "show", "cni0").contains("10.244.1.1/24"));
        assertEquals("1", node.sh("cat", "/proc/sys/net/ipv4/ip_forward").strip(), "isGateway turns on forwarding");

        // the IPAM file, in host-local's format
        String ipOnly = addr.substring(0, addr.indexOf('/'));
        assertEquals(id + "\r\neth0", read(node.ipamDir("weftnet").resolve(ipOnly)));

        node.run.weft("DEL", id, pod, "eth0", node.conf(v)).ok();
        assertFalse(Files.exists(node.ipamDir("weftnet").resolve(ipOnly)), "DEL frees the address");
        assertFalse(NetnsLab.run("ip", "-n", pod, "link", "show", "eth0").exitCode() == 0, "DEL removes the pod interface");
    }

    @Test
    void netnsGivenAsAProcPathWorksAsDockerAndPodmanPassIt() throws Exception {
        String pod = node.pod("procns");
        Process holder = new ProcessBuilder("ip", "netns", "exec", pod, "sleep", "60").start();
        try {
            String nsPath = "/proc/" + holder.pid() + "/ns/net";
            // Only once the process is inside the pod namespace may its path be used: before that it names the
            // machine's own namespace, where this test must never plumb anything.
            String want = "net:[" + Files.getAttribute(Path.of("/var/run/netns/" + pod), "unix:ino") + "]";
            boolean inside = false;
            for (int i = 0; i < 250 && !inside; i++) {
                try {
                    inside = Files.readSymbolicLink(Path.of(nsPath)).toString().equals(want);
                } catch (java.io.IOException e) {
                    // not there yet
                }
                if (!inside) Thread.sleep(20);
            }
            assertTrue(inside, "the holder process never entered " + pod);
            Map<String, Object> r = node.run.weft("ADD", "procns", nsPath, "eth0", node.conf("1.0.0")).ok();
            assertEquals(nsPath, list(r, "interfaces").get(2).get("sandbox"));
            assertTrue(NetnsLab.exec(pod, "ip", "-4", "addr", "show", "eth0").contains((String) list(r, "ips").getFirst().get("address")));
            node.run.weft("CHECK", "procns", nsPath, "eth0", withPrev(node.conf("1.0.0"), r)).ok();
            node.run.weft("DEL", "procns", nsPath, "eth0", node.conf("1.0.0")).ok();
            assertFalse(NetnsLab.exec(pod, "ip", "link").contains("eth0"));
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void addKeepsAPrevResultAndAppendsToIt() {
        String pod = node.pod("prev");
        Map<String, Object> earlier = Map.of("cniVersion", "1.0.0",
                "interfaces", List.of(Map.of("name", "lo", "sandbox", "/var/run/netns/" + pod)),
                "ips", List.of(Map.of("interface", 0L, "address", "127.0.0.1/8")),
                "dns", Map.of("nameservers", List.of("10.96.0.10")));
        Map<String, Object> r = node.run.weft("ADD", "prev-1", pod, "eth0", withPrev(node.conf("1.0.0"), earlier)).ok();
        assertEquals(4, list(r, "interfaces").size());
        assertEquals("lo", list(r, "interfaces").get(0).get("name"));
        assertEquals("eth0", list(r, "interfaces").get(3).get("name"));
        assertEquals(2, list(r, "ips").size());
        assertEquals(3L, list(r, "ips").get(1).get("interface"), "index shifted past the earlier interfaces");
        assertEquals(Map.of("nameservers", List.of("10.96.0.10")), r.get("dns"));
        node.run.weft("CHECK", "prev-1", pod, "eth0", withPrev(node.conf("1.0.0"), r)).ok();
        node.run.weft("DEL", "prev-1", pod, "eth0", node.conf("1.0.0")).ok();

        node.run.weft("ADD", "prev-2", pod, "eth0", node.conf("1.0.0", ",\"prevResult\":{\"ips\":[{\"interface\":0}]}")).error(7);
        assertFalse(NetnsLab.exec(pod, "ip", "link").contains("eth0"), "a bad prevResult is refused before anything is plumbed");
    }

    @Test
    void configFieldsAreHonoured() {
        String pod = node.pod("fields");
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"other\",\"type\":\"weft\",\"subnetFile\":\"" + node.subnetFile
                + "\",\"dataDir\":\"" + node.dir + "\",\"bridge\":\"weftbr9\",\"mtu\":1300,\"hairpinMode\":false,"
                + "\"isDefaultGateway\":false}";
        Map<String, Object> r = node.run.weft("ADD", "fields", pod, "net1", conf).ok();
        assertEquals("weftbr9", list(r, "interfaces").getFirst().get("name"));
        assertEquals(List.of(Map.of("dst", "10.244.0.0/16")), r.get("routes"), "no default route without isDefaultGateway");
        assertTrue(NetnsLab.exec(pod, "ip", "link", "show", "net1").contains("mtu 1300"));
        assertFalse(NetnsLab.exec(pod, "ip", "-4", "route").contains("default"));
        String port = node.sh("ip", "-d", "link", "show", (String) list(r, "interfaces").get(1).get("name"));
        assertTrue(port.contains("master weftbr9") && port.contains("hairpin off"), port);
        assertTrue(Files.isDirectory(node.ipamDir("other")), "IPAM directory named after the network");
        node.run.weft("DEL", "fields", pod, "net1", conf).ok();
    }

    /**
     * ipMasq: a pod reaches a host outside the cluster network that has no route back to pods (a namespace made
     * here, behind the node), which only works when the node masquerades; the rule is in weft's own nftables
     * table, named after the attachment; DEL removes it, and the same ping then goes unanswered.
     */
    @Test
    void ipMasqMasqueradesWhatLeavesTheClusterAndDelRemovesIt() {
        try (Node n = new Node("cnimasq")) {
            String outside = n.lab.netns("outside");
            n.lab.veth(n.ns, "up0", outside, "eth0");
            n.sh("ip", "addr", "add", "192.0.2.1/24", "dev", "up0");
            n.sh("ip", "link", "set", "up0", "up");
            NetnsLab.exec(outside, "ip", "addr", "add", "192.0.2.2/24", "dev", "eth0");
            NetnsLab.exec(outside, "ip", "link", "set", "eth0", "up");
            String pod = n.pod("masq");
            String conf = n.conf("1.0.0", ",\"ipMasq\":true");
            Map<String, Object> r = n.run.weft("ADD", "masq-1", pod, "eth0", conf).ok();
            String ip = PodsIT.ipOf(r);
            String nat = n.sh("nft", "list", "table", "ip", "weft-cni");
            assertTrue(nat.contains("ip saddr " + ip + " ip daddr != 10.244.0.0/16 masquerade comment \"weft:masq-1/eth0\""), nat);
            NetnsLab.exec(pod, "ping", "-c", "1", "-W", "2", "192.0.2.2"); // answered to the node's 192.0.2.1
            n.run.weft("DEL", "masq-1", pod, "eth0", conf).ok();
            assertFalse(n.sh("nft", "list", "ruleset").contains("masq-1"));
            n.run.weft("DEL", "masq-1", pod, "eth0", conf).ok();

            String pod2 = n.pod("nomasq");
            n.run.weft("ADD", "masq-2", pod2, "eth0", n.conf("1.0.0")).ok();
            assertFalse(NetnsLab.run("ip", "netns", "exec", pod2, "ping", "-c", "1", "-W", "1", "192.0.2.2").exitCode() == 0,
                    "without masquerading the outside host cannot answer the pod");
        }
    }

    @Test
    void delIsIdempotentAndWorksWithoutTheNetns() {
        String pod = node.pod("del");
        node.run.weft("ADD", "del-1", pod, "eth0", node.conf("1.0.0")).ok();
        assertNull(node.run.weft("DEL", "del-1", pod, "eth0", node.conf("1.0.0")).ok(), "DEL prints nothing");
        node.run.weft("DEL", "del-1", pod, "eth0", node.conf("1.0.0")).ok();
        node.run.weft("DEL", "del-1", null, "eth0", node.conf("1.0.0")).ok();
        node.run.weft("DEL", "never-added", "/var/run/netns/gone-long-ago", "eth0", node.conf("1.0.0")).ok();

        String pod2 = node.pod("del2");
        Map<String, Object> r = node.run.weft("ADD", "del-2", pod2, "eth0", node.conf("1.0.0")).ok();
        String hostVeth = (String) list(r, "interfaces").get(1).get("name");
        NetnsLab.sh("ip", "netns", "del", pod2); // the runtime tore the sandbox down first
        node.run.weft("DEL", "del-2", pod2, "eth0", node.conf("1.0.0")).ok();
        assertFalse(node.sh("ip", "link").contains(hostVeth));
        assertTrue(node.run.weft("DEL", "del-2", pod2, "eth0", node.conf("1.0.0")).exit() == 0);
    }

    @Test
    void delWorksWhileSubnetEnvIsMissing() throws Exception {
        try (Node n = new Node("cnidelnoenv")) {
            String pod = n.pod("p");
            n.run.weft("ADD", "c", pod, "eth0", n.conf("1.0.0")).ok();
            Files.delete(n.subnetFile);
            n.run.weft("DEL", "c", pod, "eth0", n.conf("1.0.0")).ok();
            assertEquals(List.of("last_reserved_ip.0", "lock"), Files.list(n.ipamDir("weftnet"))
                    .map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void addOfAnExistingInterfaceIsAnErrorThatKeepsTheFirstAttachment() {
        String pod = node.pod("dup");
        Map<String, Object> first = node.run.weft("ADD", "dup-1", pod, "eth0", node.conf("1.0.0")).ok();
        Map<String, Object> e = node.run.weft("ADD", "dup-2", pod, "eth0", node.conf("1.0.0")).error(999);
        assertTrue(((String) e.get("msg")).contains("already exists"), e.toString());
        e = node.run.weft("ADD", "dup-1", pod, "eth0", node.conf("1.0.0")).error(999);
        assertTrue(((String) e.get("msg")).contains("already exists"), e.toString());
        // the failed ADDs freed what they took and left the first one alone
        String addr = (String) list(first, "ips").getFirst().get("address");
        assertTrue(NetnsLab.exec(pod, "ip", "-4", "addr").contains(addr));
        assertEquals(1, node.ipamDir("weftnet").toFile().list((d, n) -> {
            try {
                return Character.isDigit(n.charAt(0)) && Files.readString(d.toPath().resolve(n)).startsWith("dup-");
            } catch (Exception x) {
                return false;
            }
        }).length);
        node.run.weft("CHECK", "dup-1", pod, "eth0", withPrev(node.conf("1.0.0"), first)).ok();
        node.run.weft("DEL", "dup-1", pod, "eth0", node.conf("1.0.0")).ok();
    }

    /**
     * A change the kernel refuses (the configured bridge is a veth, which cannot take ports) is code 999
     * naming the step and the kernel's reason, and the failed ADD leaves nothing: no address held, no veth.
     */
    @Test
    void aRefusedKernelChangeNamesItsStepAndLeavesNothingBehind() {
        String pod = node.pod("refused");
        node.sh("ip", "link", "add", "notbr0", "type", "veth", "peer", "name", "notbr1");
        try {
            Map<String, Object> e = node.run.weft("ADD", "refused-1", pod, "eth0", node.conf("1.0.0", ",\"bridge\":\"notbr0\"")).error(999);
            String msg = (String) e.get("msg");
            assertTrue(msg.contains("ip link add") && msg.contains("master notbr0") && !msg.contains("internal error"), msg);
            String veth = io.weft.cni.bridge.NodeLinks.vethName("refused-1", "eth0");
            assertFalse(node.sh("ip", "-o", "link").contains(veth), "no veth left");
            assertFalse(NetnsLab.exec(pod, "ip", "-o", "link").contains("eth0"), "nothing left in the pod");
            assertEquals(0, node.ipamDir("weftnet").toFile().list((d, n) -> {
                try {
                    return Character.isDigit(n.charAt(0)) && Files.readString(d.toPath().resolve(n)).startsWith("refused-");
                } catch (Exception x) {
                    return false;
                }
            }).length, "the address was freed");
        } finally {
            node.sh("ip", "link", "del", "notbr0");
        }
    }

    static String withPrev(String conf, Map<String, Object> prev) {
        return conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + new io.weft.cni.spec.JsonOut().anyValue(prev) + "}";
    }

    @Test
    void checkPassesOnAHealthyPodAndSaysWhatIsMissing() {
        String pod = node.pod("check");
        Map<String, Object> r = node.run.weft("ADD", "check-1", pod, "eth0", node.conf("1.0.0")).ok();
        String conf = withPrev(node.conf("1.0.0"), r);
        assertNull(node.run.weft("CHECK", "check-1", pod, "eth0", conf).ok());

        NetnsLab.exec(pod, "ip", "route", "del", "default");
        Map<String, Object> e = node.run.weft("CHECK", "check-1", pod, "eth0", conf).error(999);
        assertTrue(((String) e.get("msg")).contains("route 0.0.0.0/0 via 10.244.1.1 is missing"), e.toString());

        String addr = (String) list(r, "ips").getFirst().get("address");
        NetnsLab.exec(pod, "ip", "addr", "del", addr, "dev", "eth0");
        e = node.run.weft("CHECK", "check-1", pod, "eth0", conf).error(999);
        assertTrue(((String) e.get("msg")).contains("address " + addr + " is not on eth0"), e.toString());

        node.run.weft("CHECK", "check-1", pod, "eth0", node.conf("1.0.0")).error(7); // no prevResult
        node.run.weft("CHECK", "check-1", pod, "eth0", withPrev(node.conf("0.3.1"), r)).error(1); // CHECK needs 0.4.0+
        node.run.weft("DEL", "check-1", pod, "eth0", node.conf("1.0.0")).ok();
        e = node.run.weft("CHECK", "check-1", pod, "eth0", conf).error(999);
        assertTrue(((String) e.get("msg")).contains("IPAM has no allocation"), e.toString());
        assertTrue(((String) e.get("msg")).contains("interface eth0 does not exist"), e.toString());
    }

    /**
     * A subnet.env whose FLANNEL_SUBNET lies outside FLANNEL_NETWORK is refused, naming the field, before anything
     * is made: no bridge (which would otherwise collect a gateway address in no network of the overlay), no veth,
     * no address; STATUS says the node is not ready.
     */
    @Test
    void aSubnetOutsideTheNetworkIsRefusedAndTheNodeLeftAlone() throws Exception {
        try (Node n = new Node("cnioutside")) {
            Files.writeString(n.subnetFile, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.9.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n");
            String pod = n.pod("p");
            Map<String, Object> e = n.run.weft("ADD", "outside", pod, "eth0", n.conf("1.1.0")).error(11);
            assertTrue(((String) e.get("msg")).endsWith("FLANNEL_SUBNET: " + n.subnetFile + ": 10.9.1.1/24 is not inside FLANNEL_NETWORK 10.244.0.0/16"),
                    e.toString());
            assertFalse(n.sh("ip", "-o", "link").contains("cni0"), "no bridge made");
            assertFalse(NetnsLab.exec(pod, "ip", "-o", "link").contains("eth0"), "nothing in the pod");
            assertFalse(Files.exists(n.ipamDir("weftnet")) && Files.list(n.ipamDir("weftnet")).anyMatch(p -> p.getFileName().toString().startsWith("10.")));
            assertTrue(((String) n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).error(50).get("msg")).contains("FLANNEL_SUBNET"));
        }
    }

    @Test
    void versionAnswersWithTheCallersVersion() {
        Map<String, Object> r = node.run.weft("VERSION", null, null, null, "{\"cniVersion\":\"0.4.0\"}").ok();
        assertEquals("0.4.0", r.get("cniVersion"));
        assertEquals(List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"), r.get("supportedVersions"));
        assertEquals("1.1.0", node.run.weft("VERSION", null, null, null, "").ok().get("cniVersion"));
    }

    @Test
    void statusIs50UntilSubnetEnvExists() throws Exception {
        try (Node n = new Node("cnistatus")) {
            assertNull(n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).ok());
            Path saved = n.dir.resolve("saved.env");
            Files.move(n.subnetFile, saved);
            Map<String, Object> e = n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).error(50);
            assertTrue(((String) e.get("msg")).contains("weftd is not ready"), e.toString());
            // ADD says so plainly too, with "try again later"
            String pod = n.pod("p");
            e = n.run.weft("ADD", "c", pod, "eth0", n.conf("1.1.0")).error(11);
            assertTrue(((String) e.get("msg")).contains(n.subnetFile + " does not exist"), e.toString());
            Files.writeString(n.subnetFile, "FLANNEL_NETWORK=garbage\n");
            n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).error(50);
            Files.move(saved, n.subnetFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            n.run.weft("STATUS", null, null, null, n.conf("1.1.0")).ok();
            n.run.weft("STATUS", null, null, null, n.conf("1.0.0")).error(1); // STATUS is 1.1.0
        }
    }

    @Test
    void gcFreesAllocationsThatAreNotValidAttachments() throws Exception {
        try (Node n = new Node("cnigc")) {
            String p1 = n.pod("p1");
            String p2 = n.pod("p2");
            Map<String, Object> keep = n.run.weft("ADD", "keep", p1, "eth0", n.conf("1.1.0")).ok();
            Map<String, Object> drop = n.run.weft("ADD", "drop", p2, "eth0", n.conf("1.1.0")).ok();
            String gcConf = n.conf("1.1.0", ",\"cni.dev/valid-attachments\":[{\"containerID\":\"keep\",\"ifname\":\"eth0\"}]");
            assertNull(n.run.weft("GC", null, null, null, gcConf).ok());
            String keepIp = ((String) list(keep, "ips").getFirst().get("address")).split("/")[0];
            String dropIp = ((String) list(drop, "ips").getFirst().get("address")).split("/")[0];
            assertTrue(Files.exists(n.ipamDir("weftnet").resolve(keepIp)));
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve(dropIp)));
            String dropVeth = (String) list(drop, "interfaces").get(1).get("name");
            assertFalse(n.sh("ip", "link").contains(dropVeth), "GC removes the stale attachment's veth");
            n.run.weft("GC", null, null, null, n.conf("1.1.0")).error(7); // no valid-attachments
            n.run.weft("GC", null, null, null, n.conf("1.0.0", ",\"cni.dev/valid-attachments\":[]")).error(1);
        }
    }

    @Test
    void badEnvironmentIsCode4() {
        String pod = node.pod("env");
        node.run.call(PluginRunner.WEFT, Map.of(), node.conf("1.0.0")).error(4); // no CNI_COMMAND
        node.run.weft("FROB", "c", pod, "eth0", node.conf("1.0.0")).error(4);
        Map<String, Object> e = node.run.weft("ADD", null, pod, "eth0", node.conf("1.0.0")).error(4);
        assertTrue(((String) e.get("msg")).contains("CNI_CONTAINERID"));
        node.run.weft("ADD", "c", null, "eth0", node.conf("1.0.0")).error(4);
        node.run.weft("ADD", "c", pod, null, node.conf("1.0.0")).error(4);
        node.run.weft("DEL", "c", pod, null, node.conf("1.0.0")).error(4);
        node.run.weft("ADD", "c", pod, "this-name-is-too-long", node.conf("1.0.0")).error(4);
        node.run.weft("ADD", "../etc", pod, "eth0", node.conf("1.0.0")).error(4);
        node.run.weft("ADD", "c", "/var/run/netns/does-not-exist", "eth0", node.conf("1.0.0")).error(4);
        Map<String, String> noPath = PluginRunner.env("ADD", "c", pod, "eth0");
        noPath.remove("CNI_PATH");
        node.run.call(PluginRunner.WEFT, noPath, node.conf("1.0.0")).error(4);
    }

    @Test
    void undecodableConfigIsCode6AndInvalidConfigIsCode7() {
        String pod = node.pod("conf");
        node.run.weft("ADD", "c", pod, "eth0", "{").error(6);
        node.run.weft("ADD", "c", pod, "eth0", "").error(6);
        node.run.weft("ADD", "c", pod, "eth0", "[1,2]").error(6);
        node.run.weft("ADD", "c", pod, "eth0", "{\"a\":1} trailing").error(6);
        node.run.weft("ADD", "c", pod, "eth0", "{\"name\":\"x\",\"type\":\"weft\"}").error(7); // no cniVersion
        node.run.weft("ADD", "c", pod, "eth0", "{\"cniVersion\":\"1.0.0\",\"type\":\"weft\"}").error(7); // no name
        Map<String, Object> e = node.run.weft("ADD", "c", pod, "eth0", node.conf("1.0.0", ",\"mtu\":\"big\"")).error(7);
        assertTrue(((String) e.get("msg")).contains("mtu"), e.toString());
        e = node.run.weft("ADD", "c", pod, "eth0", node.conf("1.0.0", ",\"hairpinMode\":\"yes\"")).error(7);
        assertTrue(((String) e.get("msg")).contains("hairpinMode"), e.toString());
        node.run.weft("ADD", "c", pod, "eth0", node.conf("1.0.0", ",\"bridge\":\"way-too-long-bridge-name\"")).error(7);
        node.run.weft("ADD", "c", pod, "eth0", node.conf("1.0.0", ",\"mtu\":20")).error(7);
        e = node.run.weft("ADD", "c", pod, "eth0", node.conf("2.0.0")).error(1);
        assertTrue(e.get("details").toString().contains("1.1.0"), e.toString());
        node.run.weft("ADD", "c", pod, "eth0", node.conf("0.2.0")).error(1);
        assertEquals("", NetnsLab.exec(pod, "ip", "-4", "-o", "addr", "show", "scope", "global"), "nothing plumbed by failed ADDs");
    }

    @Test
    void errorsCarryTheConfigVersionAndStdoutHoldsOnlyJson() {
        PluginRunner.Out o = node.run.weft("ADD", "c", null, "eth0", node.conf("1.1.0"));
        o.error(4);
        assertEquals("1.1.0", o.json().get("cniVersion"));
        Object parsed = Json.parse(o.stdout()); // throws if anything but one JSON value is on stdout
        assertTrue(parsed instanceof Map);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
