package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cni.Node;
import io.weft.lab.cni.PluginRunner;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Pods made by the plugin talk to each other; parallel ADDs and DELs keep IPAM exact; the pool runs out cleanly. */
class PodsIT {

    @SuppressWarnings("unchecked")
    static String ipOf(Map<String, Object> result) {
        String a = (String) ((List<Map<String, Object>>) result.get("ips")).getFirst().get("address");
        return a.substring(0, a.indexOf('/'));
    }

    @Test
    void twoPodsReachEachOtherAndTheGateway() {
        try (Node n = new Node("cnipods")) {
            String a = n.pod("a");
            String b = n.pod("b");
            String ipA = ipOf(n.run.weft("ADD", "pod-a", a, "eth0", n.conf("1.1.0")).ok());
            String ipB = ipOf(n.run.weft("ADD", "pod-b", b, "eth0", n.conf("1.1.0")).ok());
            NetnsLab.exec(a, "ping", "-c", "2", "-W", "2", ipB);
            NetnsLab.exec(b, "ping", "-c", "2", "-W", "2", ipA);
            NetnsLab.exec(a, "ping", "-c", "1", "-W", "2", "10.244.1.1");
            n.sh("ping", "-c", "1", "-W", "2", ipA); // the node reaches its pods through cni0
            n.run.weft("DEL", "pod-a", a, "eth0", n.conf("1.1.0")).ok();
            assertFalse(NetnsLab.run("ip", "netns", "exec", b, "ping", "-c", "1", "-W", "1", ipA).exitCode() == 0,
                    "after DEL the pod is unreachable");
            n.run.weft("DEL", "pod-b", b, "eth0", n.conf("1.1.0")).ok();
        }
    }

    @Test
    void twentyParallelAddsGetTwentyDistinctAddressesAndTwentyDelsFreeThem() throws Exception {
        try (Node n = new Node("cnipar")) {
            parallelAddsThenDels(n, 20, Map.of());
        }
    }

    /**
     * No command starts a process: under strace, the only programs executed in a whole ADD (dual-stack and with
     * ipMasq, so both families' addresses, routes, forwarding and nftables rules), CHECK, DEL, STATUS, GC and VERSION
     * are the launcher and the JVM it execs. The build made the
     * JNI library (a C compiler is a build requirement), also when the plugin is called by a relative path.
     */
    @Test
    void noCommandStartsAProcess() throws Exception {
        Path lib = PluginRunner.WEFT.resolveSibling("weft-runtime").resolve("lib").resolve("libweftcni.so");
        assertTrue(Files.isRegularFile(lib), lib + " is missing");
        assertEquals(0, NetnsLab.run("strace", "-V").exitCode(), "strace shows which programs a call runs: apt-get install strace");
        try (Node n = new Node("cninp")) {
            Files.writeString(n.subnetFile, DualStackIT.DUAL);
            String pod = n.pod("a");
            String conf = n.conf("1.1.0", ",\"ipMasq\":true");
            Map<String, Object> r = traced(n, "ADD", pod, conf);
            String withPrev = CommandsIT.withPrev(conf, r);
            traced(n, "CHECK", pod, withPrev);
            traced(n, "STATUS", null, conf);
            traced(n, "GC", null, conf.substring(0, conf.length() - 1) + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"np\",\"ifname\":\"eth0\"}]}");
            traced(n, "DEL", pod, conf);
            traced(n, "VERSION", null, conf);
            // called by a relative path (System.load takes absolute ones only: the launcher makes it absolute)
            Path relative = Path.of("").toAbsolutePath().relativize(PluginRunner.WEFT);
            assertFalse(relative.isAbsolute());
            PluginRunner.Out rel = n.run.call(relative, PluginRunner.env("ADD", "rel", pod, "eth0"), n.conf("1.0.0"));
            rel.ok();
            n.run.weft("DEL", "rel", pod, "eth0", n.conf("1.0.0")).ok();
        }
    }

    /** One call under {@code strace -f -e trace=execve}, asserting that it runs the launcher and the JVM and nothing else. */
    static Map<String, Object> traced(Node n, String command, String pod, String conf) throws Exception {
        Path log = n.dir.resolve("execve-" + command);
        List<String> cmd = List.of("ip", "netns", "exec", n.ns, "strace", "-f", "-qq", "-e", "trace=execve", "-o", log.toString(),
                PluginRunner.WEFT.toString());
        PluginRunner.Out o = PluginRunner.exec(cmd, PluginRunner.env(command, pod == null ? null : "np", pod, "eth0"), conf);
        Map<String, Object> result = o.ok();
        List<String> programs = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            int at = line.indexOf("execve(\"");
            if (at < 0 || !line.contains(") = 0")) continue;
            programs.add(line.substring(at + 8, line.indexOf('"', at + 8)));
        }
        assertEquals(2, programs.size(), command + " runs the launcher and the JVM only: " + programs);
        assertEquals(PluginRunner.WEFT.toString(), programs.get(0));
        assertTrue(programs.get(1).endsWith("/bin/java"), programs.toString());
        return result;
    }

    static PluginRunner.Out weft(Node n, String command, String id, String netns, Map<String, String> extraEnv) {
        Map<String, String> env = new java.util.HashMap<>(PluginRunner.env(command, id, netns, "eth0"));
        env.putAll(extraEnv);
        return n.run.call(PluginRunner.WEFT, env, n.conf("1.0.0"));
    }

    static void parallelAddsThenDels(Node n, int count, Map<String, String> extraEnv) throws Exception {
        List<String> pods = new ArrayList<>();
        for (int i = 0; i < count; i++) pods.add(n.pod("p" + i));
        List<Map<String, Object>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(count)) {
            List<Future<Map<String, Object>>> fs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int k = i;
                fs.add(pool.submit(() -> weft(n, "ADD", "par-" + k, pods.get(k), extraEnv).ok()));
            }
            for (Future<Map<String, Object>> f : fs) results.add(f.get());
        }
        Set<String> ips = new HashSet<>();
        for (Map<String, Object> r : results) ips.add(ipOf(r));
        assertEquals(count, ips.size(), "distinct addresses: " + ips);
        long files = Files.list(n.ipamDir("weftnet")).filter(p -> Character.isDigit(p.getFileName().toString().charAt(0))).count();
        assertEquals(count, files);
        assertEquals(count, n.sh("ip", "-o", "link", "show", "master", "cni0").lines().count(), "one bridge port per pod");
        NetnsLab.exec(pods.get(0), "ping", "-c", "1", "-W", "2", ipOf(results.get(count - 1)));

        try (ExecutorService pool = Executors.newFixedThreadPool(count)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int k = i;
                fs.add(pool.submit(() -> weft(n, "DEL", "par-" + k, pods.get(k), extraEnv).ok()));
            }
            for (Future<?> f : fs) f.get();
        }
        assertEquals(List.of("last_reserved_ip.0", "lock"),
                Files.list(n.ipamDir("weftnet")).map(p -> p.getFileName().toString()).sorted().toList());
        assertEquals("", n.sh("ip", "-o", "link", "show", "master", "cni0"), "no bridge port left");
    }

    /**
     * ADDs killed (SIGKILL, as a runtime's timeout or an OOM kill does) at staggered moments, some while they hold
     * the IPAM lock: never an empty allocation file, which would hold its address for nobody until a GC; what the
     * killed calls did reserve is whole, so GC frees it, and the node keeps handing out addresses.
     */
    @Test
    void addsKilledMidwayLeaveNoEmptyAllocation() throws Exception {
        try (Node n = new Node("cnikill")) {
            killAddsMidwayThenGc(n, 16, 1);
        }
    }

    /**
     * {@code count} ADDs killed with SIGKILL at staggered moments after a "warm" pod made the bridge, each followed by
     * a look for an empty allocation file; then a GC keeping only "warm", which must free every other allocation
     * (leaving warm's {@code families} addresses) and take every killed call's veth along, and one more ADD that
     * must succeed.
     */
    static void killAddsMidwayThenGc(Node n, int count, int families) throws Exception {
        n.run.weft("ADD", "warm", n.pod("warm"), "eth0", n.conf("1.1.0")).ok(); // the bridge exists: kills land later in ADD
        for (int i = 0; i < count; i++) {
            String pod = n.pod("k" + i);
            List<String> cmd = List.of("ip", "netns", "exec", n.ns, PluginRunner.WEFT.toString());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
            pb.environment().putAll(PluginRunner.env("ADD", "kill-" + i, pod, "eth0"));
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                in.write(n.conf("1.1.0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            Thread.sleep(20 + 10 * i); // from before the JVM is up to after the ADD is done
            p.destroyForcibly().waitFor();
            try (var files = Files.list(n.ipamDir("weftnet"))) {
                for (Path f : files.filter(PodsIT::isAllocation).toList()) {
                    assertTrue(Files.size(f) > 0, "an empty allocation file after kill " + i + ": " + f);
                }
            }
        }
        n.run.weft("GC", null, null, null, n.conf("1.1.0", ",\"cni.dev/valid-attachments\":[{\"containerID\":\"warm\",\"ifname\":\"eth0\"}]"))
                .ok();
        try (var files = Files.list(n.ipamDir("weftnet"))) {
            assertEquals(families, files.filter(PodsIT::isAllocation).count(), "GC freed all but warm's");
        }
        assertEquals("", n.sh("ip", "-o", "link", "show", "master", "cni0").lines().filter(l -> !l.contains(
                io.weft.cni.bridge.NodeLinks.vethName("warm", "eth0"))).reduce("", String::concat), "GC removed the killed calls' veths");
        n.run.weft("ADD", "after", n.pod("after"), "eth0", n.conf("1.1.0")).ok();
    }

    /** An allocation file of host-local's directory: not {@code lock}, {@code last_reserved_ip.N} nor a {@code .reserving-} file. */
    static boolean isAllocation(Path f) {
        String s = f.getFileName().toString();
        return !s.equals("lock") && !s.startsWith("last_reserved_ip.") && !s.startsWith(".");
    }

    @Test
    void anExhaustedPoolIsAClearErrorAndFreesNothingItDidNotTake() throws Exception {
        // a /29: .0 network, .1 gateway, .7 broadcast, so five pod addresses .2 to .6
        try (Node n = new Node("cniexh", "10.244.0.0/16", "10.244.1.1/29", 1450)) {
            for (int i = 0; i < 5; i++) n.run.weft("ADD", "full-" + i, n.pod("p" + i), "eth0", n.conf("1.0.0")).ok();
            String sixth = n.pod("p5");
            Map<String, Object> e = n.run.weft("ADD", "full-5", sixth, "eth0", n.conf("1.0.0")).error(999);
            String msg = (String) e.get("msg");
            assertTrue(msg.contains("no IP addresses available in 10.244.1.0/29"), msg);
            assertTrue(msg.contains("10.244.1.2-10.244.1.6"), msg);
            assertFalse(NetnsLab.exec(sixth, "ip", "link").contains("eth0"), "nothing plumbed");
            assertEquals(5, Files.list(n.ipamDir("weftnet")).filter(p -> p.getFileName().toString().startsWith("10.")).count());
            n.run.weft("DEL", "full-2", null, "eth0", n.conf("1.0.0")).ok();
            assertEquals("10.244.1.4", ipOf(n.run.weft("ADD", "full-5", sixth, "eth0", n.conf("1.0.0")).ok()),
                    "the freed address is handed out again");
        }
    }

    /** Reads an IPAM file the way the tests compare them. */
    static String fileOf(Path dir, String ip) throws Exception {
        return Files.readString(dir.resolve(ip));
    }
}
