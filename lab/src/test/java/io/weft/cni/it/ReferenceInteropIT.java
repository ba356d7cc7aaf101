package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.spec.JsonOut;
import io.weft.lab.cni.Node;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * weft next to Debian's reference plugins (/usr/lib/cni from containernetworking-plugins): host-local reads and
 * writes the same IPAM files under the same lock, bridge returns results of the same shape, portmap chains after weft.
 */
class ReferenceInteropIT {

    static String hostLocalConf(Node n) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"weftnet\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
                + n.dir.resolve("networks") + "\",\"ranges\":[[{\"subnet\":\"10.244.1.0/24\",\"gateway\":\"10.244.1.1\"}]]}}";
    }

    @Test
    void hostLocalAllocationsAreRespectedByWeftAndViceVersa() throws Exception {
        try (Node n = new Node("cnihl")) {
            String pod = n.pod("p");
            String hl = hostLocalConf(n);
            // host-local first: weft must not hand out its address
            String hlIp = PodsIT.ipOf(n.run.ref("host-local", "ADD", "by-hostlocal", pod, "eth0", hl).ok());
            assertEquals("10.244.1.2", hlIp);
            String weftIp = PodsIT.ipOf(n.run.weft("ADD", "by-weft", pod, "eth0", n.conf("1.0.0")).ok());
            assertNotEquals(hlIp, weftIp);
            assertEquals("10.244.1.3", weftIp, "weft continues after host-local's last_reserved_ip.0");
            // and host-local must not hand out weft's
            String hlIp2 = PodsIT.ipOf(n.run.ref("host-local", "ADD", "by-hostlocal-2", pod, "eth1", hl).ok());
            assertEquals("10.244.1.4", hlIp2);
            // host-local sees weft's file as an allocation of that container: host-local DEL frees it
            n.run.ref("host-local", "DEL", "by-weft", pod, "eth0", hl).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve(weftIp)));
            // weft DEL frees host-local's allocation (GC would too)
            n.run.weft("DEL", "by-hostlocal", null, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve(hlIp)));
            assertTrue(Files.exists(n.ipamDir("weftnet").resolve(hlIp2)));
            // an old host-local file holding only the container id still counts
            Files.writeString(n.ipamDir("weftnet").resolve("10.244.1.9"), "old-format-id");
            n.run.weft("DEL", "old-format-id", null, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("10.244.1.9")));
        }
    }

    /**
     * host-local creates an allocation file before writing it: killed in between, it leaves an empty file. weft's
     * next ADD frees that address and takes it, in a file host-local then reads as weft's (it hands out the next
     * address, and its DEL of weft's container frees it).
     */
    @Test
    void anEmptyFileLeftByAKilledHostLocalIsReclaimedInTheFormatHostLocalReads() throws Exception {
        try (Node n = new Node("cnihlempty")) {
            String pod = n.pod("p");
            Files.createDirectories(n.ipamDir("weftnet"));
            Files.writeString(n.ipamDir("weftnet").resolve("10.244.1.2"), "");
            assertEquals("10.244.1.2", PodsIT.ipOf(n.run.weft("ADD", "by-weft", pod, "eth0", n.conf("1.0.0")).ok()));
            assertEquals("by-weft\r\neth0", Files.readString(n.ipamDir("weftnet").resolve("10.244.1.2")));
            assertEquals("10.244.1.3", PodsIT.ipOf(n.run.ref("host-local", "ADD", "by-hl", pod, "eth1", hostLocalConf(n)).ok()));
            n.run.ref("host-local", "DEL", "by-weft", pod, "eth0", hostLocalConf(n)).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve("10.244.1.2")), "host-local found weft's allocation by its owner");
        }
    }

    @Test
    void weftAndHostLocalInParallelShareTheLock() throws Exception {
        try (Node n = new Node("cnihlpar")) {
            String pod = n.pod("p"); // host-local only writes files; one netns path serves all its calls
            int each = 10;
            List<String> weftPods = new ArrayList<>();
            for (int i = 0; i < each; i++) weftPods.add(n.pod("w" + i));
            Set<String> ips = new HashSet<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(2 * each)) {
                List<Future<Map<String, Object>>> fs = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    int k = i;
                    fs.add(pool.submit(() -> n.run.weft("ADD", "w-" + k, weftPods.get(k), "eth0", n.conf("1.0.0")).ok()));
                    fs.add(pool.submit(() -> n.run.ref("host-local", "ADD", "h-" + k, pod, "eth0", hostLocalConf(n)).ok()));
                }
                for (Future<Map<String, Object>> f : fs) ips.add(PodsIT.ipOf(f.get()));
            }
            assertEquals(2 * each, ips.size(), "no address handed out twice: " + ips);
        }
    }

    /** Keys and nesting of a JSON value, with values reduced to their kind, and list lengths kept. */
    static Object shape(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, x) -> out.put((String) k, shape(x)));
            return out;
        }
        if (v instanceof List<?> l) return l.stream().map(ReferenceInteropIT::shape).toList();
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    @Test
    void resultHasTheSameShapeAsTheReferenceBridgePlugin() {
        for (String v : List.of("0.3.1", "0.4.0", "1.0.0")) {
            try (Node ref = new Node("cniref"); Node weft = new Node("cnishape")) {
                String refConf = "{\"cniVersion\":\"" + v + "\",\"name\":\"refnet\",\"type\":\"bridge\",\"bridge\":\"cni0\","
                        + "\"isGateway\":true,\"isDefaultGateway\":true,\"hairpinMode\":true,\"mtu\":1450,"
                        + "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + ref.dir.resolve("networks") + "\","
                        + "\"ranges\":[[{\"subnet\":\"10.244.1.0/24\"}]],\"routes\":[{\"dst\":\"10.244.0.0/16\"}]}}";
                Map<String, Object> r = ref.run.ref("bridge", "ADD", "shape", ref.pod("p"), "eth0", refConf).ok();
                Map<String, Object> w = weft.run.weft("ADD", "shape", weft.pod("p"), "eth0", weft.conf(v)).ok();
                assertEquals(shape(r), shape(w), "result shape for " + v + "\nreference: " + r + "\nweft:      " + w);
                assertEquals(r.get("routes"), w.get("routes"));
                assertEquals(r.get("ips"), w.get("ips"), "same first address, gateway, interface index");
                // and the pods look the same from inside
                String refRoutes = NetnsLab.exec(ref.lab.prefix() + "-p", "ip", "-4", "route");
                String weftRoutes = NetnsLab.exec(weft.lab.prefix() + "-p", "ip", "-4", "route");
                assertEquals(refRoutes.replaceAll("\\s+", " "), weftRoutes.replaceAll("\\s+", " "));
            }
        }
    }

    /** A node moving from flannel's bridge+host-local to weft: weft checks and deletes the pods it did not make. */
    @Test
    void podsMadeByTheReferenceBridgeAreCheckedAndDeletedByWeft() throws Exception {
        try (Node n = new Node("cnimig")) {
            String pod = n.pod("old");
            String refConf = "{\"cniVersion\":\"1.0.0\",\"name\":\"weftnet\",\"type\":\"bridge\",\"bridge\":\"cni0\","
                    + "\"isGateway\":true,\"isDefaultGateway\":true,\"hairpinMode\":true,\"mtu\":1450,"
                    + "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + n.dir.resolve("networks") + "\","
                    + "\"ranges\":[[{\"subnet\":\"10.244.1.0/24\"}]],\"routes\":[{\"dst\":\"10.244.0.0/16\"}]}}";
            Map<String, Object> r = n.run.ref("bridge", "ADD", "old-pod", pod, "eth0", refConf).ok();
            String oldIp = PodsIT.ipOf(r);
            // a new pod by weft on the same bridge and IPAM directory reaches the old one
            String fresh = n.pod("new");
            Map<String, Object> w = n.run.weft("ADD", "new-pod", fresh, "eth0", n.conf("1.0.0")).ok();
            assertNotEquals(oldIp, PodsIT.ipOf(w));
            NetnsLab.exec(fresh, "ping", "-c", "1", "-W", "2", oldIp);
            n.run.weft("CHECK", "old-pod", pod, "eth0", CommandsIT.withPrev(n.conf("1.0.0"), r)).ok();
            n.run.weft("DEL", "old-pod", pod, "eth0", n.conf("1.0.0")).ok();
            assertFalse(Files.exists(n.ipamDir("weftnet").resolve(oldIp)));
            assertFalse(NetnsLab.exec(pod, "ip", "link").contains("eth0"));
            n.run.weft("DEL", "new-pod", fresh, "eth0", n.conf("1.0.0")).ok();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void chainsWithTheReferencePortmapPlugin() {
        try (Node n = new Node("cnichain")) {
            String pod = n.pod("p");
            String weftConf = n.conf("1.0.0");
            Map<String, Object> r1 = n.run.weft("ADD", "chain", pod, "eth0", weftConf).ok();
            String portmap = "{\"cniVersion\":\"1.0.0\",\"name\":\"weftnet\",\"type\":\"portmap\","
                    + "\"capabilities\":{\"portMappings\":true},\"runtimeConfig\":{\"portMappings\":"
                    + "[{\"hostPort\":18080,\"containerPort\":80,\"protocol\":\"tcp\"}]},\"prevResult\":" + new JsonOut().anyValue(r1) + "}";
            Map<String, Object> r2 = n.run.ref("portmap", "ADD", "chain", pod, "eth0", portmap).ok();
            assertEquals(r1.get("ips"), r2.get("ips"), "portmap passes weft's result through");
            String nat = n.sh("iptables", "-t", "nat", "-S");
            assertTrue(nat.contains("--dport 18080") && nat.contains(PodsIT.ipOf(r1) + ":80"), nat);

            // CHECK gets the chain's final result, DEL runs in reverse order
            Map<String, Object> withFinal = new LinkedHashMap<>(io.weft.cni.spec.Json.parseObject(weftConf));
            withFinal.put("prevResult", r2);
            n.run.weft("CHECK", "chain", pod, "eth0", new JsonOut().anyValue(withFinal).toString()).ok();
            // (Debian's portmap fails its own CHECK here looking for an ip6tables chain it never made, so it is not run.)
            n.run.ref("portmap", "DEL", "chain", pod, "eth0", portmap).ok();
            n.run.weft("DEL", "chain", pod, "eth0", weftConf).ok();
            assertFalse(n.sh("iptables", "-t", "nat", "-S").contains("18080"));
        }
    }

    static Path p(String s) {
        return Path.of(s);
    }
}
