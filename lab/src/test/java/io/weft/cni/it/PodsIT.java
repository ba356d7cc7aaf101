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
     * The build made the JNI library (a C compiler is part of the test machine's setup), and with it an ADD and a
     * DEL change the kernel through rtnetlink and lock through flock(2) without starting a process.
     */
    @Test
    void byDefaultAddAndDelStartNoProcess() {
        Path lib = PluginRunner.WEFT.resolveSibling("weft-runtime").resolve("lib").resolve("libweftcni.so");
        assertTrue(Files.isRegularFile(lib), lib + " is missing: the build found no C compiler (apt-get install gcc)");
        try (Node n = new Node("cninl")) {
            Map<String, String> traced = Map.of("WEFT_TRACE", "1");
            String pod = n.pod("a");
            PluginRunner.Out add = weft(n, "ADD", "nl", pod, traced);
            add.ok();
            assertTrue(add.stderr().contains("weft: flock(2) holds the lock") && add.stderr().contains("weft: host side ")
                    && !add.stderr().contains("started"), "netlink ADD, no process:\n" + add.stderr());
            PluginRunner.Out del = weft(n, "DEL", "nl", pod, traced);
            del.ok();
            assertTrue(del.stderr().contains("weft: flock(2) holds the lock") && !del.stderr().contains("started"),
                    "netlink DEL, no process:\n" + del.stderr());
            // called by a relative path (System.load takes absolute ones only: the launcher makes it absolute)
            Path relative = Path.of("").toAbsolutePath().relativize(PluginRunner.WEFT);
            assertFalse(relative.isAbsolute());
            Map<String, String> env = new java.util.HashMap<>(PluginRunner.env("ADD", "rel", pod, "eth0"));
            env.putAll(traced);
            PluginRunner.Out rel = n.run.call(relative, env, n.conf("1.0.0"));
            rel.ok();
            assertTrue(!rel.stderr().contains("cannot load") && !rel.stderr().contains("started"), "netlink by a relative path:\n" + rel.stderr());
            weft(n, "DEL", "rel", pod, Map.of()).ok();
        }
    }

    /**
     * Without the JNI library (a build without a C compiler; {@code -Dweft.cni.native=none} here) the same work
     * is done by iproute2 processes, the host side's under flock(1): the same attachments, parallel calls exact.
     */
    @Test
    void withoutTheJniLibraryIproute2DoesTheSameWork() throws Exception {
        try (Node n = new Node("cninojni")) {
            Map<String, String> noJni = Map.of("WEFT_JAVA_OPTS", "-Dweft.cni.native=none");
            String trace = tracedProbe(n, noJni);
            assertTrue(trace.contains("host side started"), "iproute2 was used:\n" + trace);
            parallelAddsThenDels(n, 10, noJni);
        }
    }

    /**
     * A node without util-linux's flock(1) nor the JNI library: the IPAM lock is then taken inside the plugin with
     * flock(2) through FFM and the host side runs unwrapped; parallel calls must stay exact the same way, and the
     * lock must still be the one the reference host-local takes (its allocations interleaved with weft's below).
     */
    @Test
    void withoutFlockToolParallelCallsStayExactAndHostLocalIsExcluded() throws Exception {
        try (Node n = new Node("cninofl")) {
            Map<String, String> noTool = Map.of("WEFT_JAVA_OPTS", "-Dweft.cni.native=none -Dweft.cni.flockTool=none");
            String trace = tracedProbe(n, noTool);
            assertTrue(trace.contains("flock(2) through FFM holds the lock") && !trace.contains("flock(1)"),
                    "the in-process lock was used:\n" + trace);
            parallelAddsThenDels(n, 10, noTool);
            // the in-process lock and host-local's flock exclude each other: interleaved, no address twice
            List<Future<String>> fs = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < 8; i++) {
                    int k = i;
                    String pod = n.pod("m" + i);
                    fs.add(pool.submit(() -> k % 2 == 0
                            ? ipOf(weft(n, "ADD", "mix-" + k, pod, noTool).ok())
                            : ipOf(n.run.ref("host-local", "ADD", "mix-" + k, pod, "eth0", ReferenceInteropIT.hostLocalConf(n)).ok())));
                }
                Set<String> ips = new HashSet<>();
                for (Future<String> f : fs) ips.add(f.get());
                assertEquals(8, ips.size(), "weft (flock(2) in process) and host-local never hand out one address twice: " + ips);
            }
        }
    }

    /** ADDs a pod with WEFT_TRACE on and DELs it again: the ADD's trace. */
    static String tracedProbe(Node n, Map<String, String> extraEnv) {
        Map<String, String> traced = new java.util.HashMap<>(extraEnv);
        traced.put("WEFT_TRACE", "1");
        String probe = n.pod("probe");
        PluginRunner.Out o = weft(n, "ADD", "probe", probe, traced);
        o.ok();
        weft(n, "DEL", "probe", probe, extraEnv).ok();
        return o.stderr();
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
