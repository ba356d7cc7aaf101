package io.weft.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built launcher, agent/target/weftd, as a user runs it: without the build's AOT cache by default on the kernel
 * datapath (memory), with it by default on the userspace datapath (its node carries nothing until a restarted agent is
 * up), with it when WEFT_AOT_CACHE=on, without it when WEFT_AOT_CACHE=off or when it does not match the runtime.
 */
class LauncherTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path WEFTD = ROOT.resolve("agent/target/weftd");

    static String run(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(WEFTD.toString());
        pb.command().addAll(java.util.List.of(args));
        pb.environment().putAll(env);
        pb.environment().put("WEFT_JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void theBuildsAotCacheIsUsedWhenTurnedOn() throws Exception {
        assertTrue(Files.isRegularFile(WEFTD.resolveSibling("weftd.aot")), "the build made agent/target/weftd.aot");
        String out = run(Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info", "WEFT_AOT_CACHE", "on"), "--version");
        assertTrue(out.contains("Opened AOT cache"), out);
        assertTrue(out.strip().endsWith("weftd 0.1.0"), out);
        String off = run(Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info"), "--version");
        assertTrue(!off.contains("Opened AOT cache"), "off by default: " + off);
    }

    @Test
    void byDefaultTheUserspaceDatapathStartsFromTheCacheAndTheKernelDatapathDoesNot(@TempDir Path dir) throws Exception {
        Path userspace = dir.resolve("userspace.json");
        Files.writeString(userspace, "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\", \"Datapath\": \"userspace\"}}");
        Path kernel = dir.resolve("kernel.json");
        Files.writeString(kernel, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"kernel\"}}");
        Map<String, String> log = Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info");
        assertTrue(run(log, "--net-config-path", userspace.toString(), "--version").contains("Opened AOT cache"), "userspace");
        assertTrue(run(log, "-net-config-path=" + userspace, "--version").contains("Opened AOT cache"), "Go's flag syntax");
        assertTrue(run(Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info", "FLANNELD_NET_CONFIG_PATH", userspace.toString()), "--version")
                .contains("Opened AOT cache"), "flanneld's environment variable");
        assertTrue(!run(log, "--net-config-path", kernel.toString(), "--version").contains("Opened AOT cache"), "kernel");
        assertTrue(!run(Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info", "WEFT_AOT_CACHE", "off"), "--net-config-path", userspace.toString(),
                "--version").contains("Opened AOT cache"), "turned off");
    }

    @Test
    void withAnotherRuntimeItStartsWithoutTheCacheAndSaysNothingAboutIt() throws Exception {
        Path aotJava = WEFTD.resolveSibling("weftd.aot.java");
        String recorded = Files.readString(aotJava);
        try {
            Files.writeString(aotJava, "/nonexistent/bin/java\n");
            assertEquals("weftd 0.1.0", run(Map.of(), "--version").strip());
            assertTrue(!run(Map.of("WEFT_JAVA_OPTS", "-Xlog:aot=info", "WEFT_AOT_CACHE", "on"), "--version")
                    .contains("Opened AOT cache"));
        } finally {
            Files.writeString(aotJava, recorded);
        }
    }

    /**
     * Netty's epoll library (the userspace datapath's) is loaded from the file the build puts beside the jars, not
     * from a copy Netty would write to /tmp at every start. {@code weftd aot-training} binds a UDP socket through
     * Netty's epoll transport without root.
     */
    @Test
    void nettysEpollLibraryIsLoadedFromBesideTheJarsNotCopiedToTmp() throws Exception {
        Path lib = WEFTD.resolveSibling("native").resolve("libnetty_transport_native_epoll_x86_64.so");
        assertTrue(Files.isRegularFile(lib), "the build unpacked " + lib);
        String out = run(Map.of("WEFT_JAVA_OPTS", "-Xlog:library=info"), "aot-training");
        String expected = "Loaded library " + lib.toRealPath() + ",";
        assertTrue(out.contains(expected), out);
        // the checkout itself may lie under /tmp: no other copy of the library is loaded, wherever it is
        assertEquals(1, out.lines().filter(l -> l.contains("Loaded library") && l.contains("netty_transport_native_epoll")).count(), out);
    }

    /**
     * On the userspace datapath the JIT's compiler threads run at nice 19, so that a restarting agent's own start (the
     * node is dark until it is done) and the node's other work come first; on the kernel datapath they keep nice 0
     * (a burst of thousands of peers wants C1's code at once). Read from /proc while {@code weftd aot-training} runs.
     */
    @Test
    void theUserspaceDatapathsCompilerThreadsYieldTheCpu(@TempDir Path dir) throws Exception {
        assertEquals(Map.of("C1 CompilerThre", 19, "C2 CompilerThre", 19, "java", 0), compilerNice(netConf(dir, "userspace")));
        assertEquals(Map.of("C1 CompilerThre", 0, "java", 0), compilerNice(netConf(dir, "kernel")));
    }

    private static Path netConf(Path dir, String datapath) throws java.io.IOException {
        return Files.writeString(dir.resolve(datapath + ".json"),
                "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\", \"Datapath\": \"" + datapath + "\"}}");
    }

    /** The nice value of the JVM's compiler threads and of its own threads ("java", main's among them), while a training run goes on. */
    private static Map<String, Integer> compilerNice(Path conf) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(WEFTD.toString(), "--net-config-path", conf.toString(), "aot-training");
        pb.environment().put("WEFT_JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Map<String, Integer> seen = new java.util.TreeMap<>();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && p.isAlive() && !(seen.containsKey("java") && seen.containsKey("C1 CompilerThre"))) {
                try (var tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                    for (Path t : tasks.toList()) {
                        String comm = Files.readString(t.resolve("comm")).strip();
                        if (!comm.contains("CompilerThre") && !comm.equals("java")) continue;
                        String stat = Files.readString(t.resolve("stat"));
                        // after "pid (comm) ": state is field 3, nice field 19
                        seen.put(comm, Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]));
                    }
                } catch (java.io.IOException e) {
                    // a thread ended while being read: the next look sees the others
                }
                Thread.sleep(20);
            }
            return seen;
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
