package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.spec.Json;
import io.weft.cni.spec.JsonOut;
import io.weft.lab.cni.Node;
import io.weft.lab.cni.PluginRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install-cni.sh lays out a node's /opt/cni/bin and /etc/cni/net.d; the installed plugin runs from there as a runtime runs it. */
class InstallIT {
    static final Path INSTALL = Path.of(System.getProperty("weft.install", "target/install-cni.sh")).toAbsolutePath();

    @TempDir
    Path root;

    PluginRunner.Out install(String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of(INSTALL.toString(), "--root", root.toString()));
        cmd.addAll(List.of(extra));
        PluginRunner.Out o = PluginRunner.exec(cmd, Map.of(), null);
        assertEquals(0, o.exit(), o.stderr());
        assertEquals("", o.stdout());
        return o;
    }

    @Test
    void installsTheLauncherItsRuntimeAndAConflist() throws Exception {
        install();
        Path bin = root.resolve("opt/cni/bin");
        assertTrue(Files.isExecutable(bin.resolve("weft")));
        assertTrue(Files.isRegularFile(bin.resolve("weft-runtime/weft.aot")));
        assertTrue(Files.isRegularFile(bin.resolve("weft-runtime/lib/weft-cni-plugin.jar")));
        assertTrue(Files.isRegularFile(bin.resolve("weft-runtime/lib/libweftcni.so")), "the JNI library: ADD and DEL without processes");
        assertTrue(Files.isExecutable(bin.resolve("weft-runtime/jre/bin/java")), "a node needs no JDK of its own");
        try (var s = Files.list(bin.resolve("weft-runtime/lib"))) {
            assertEquals(List.of("libweftcni.so", "weft-cni-plugin.jar", "weft-core.jar"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the plugin's runtime ships no Netty and no jackson");
        }
        try (var s = Files.list(bin)) {
            assertEquals(List.of("weft", "weft-runtime"), s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList());
        }
        assertTrue(Files.isSymbolicLink(bin.resolve("weft-runtime")), "switched to a new version with one rename");
        Path first = bin.resolve(Files.readSymbolicLink(bin.resolve("weft-runtime")));
        install();
        Path second = bin.resolve(Files.readSymbolicLink(bin.resolve("weft-runtime")));
        assertTrue(!first.equals(second) && Files.isDirectory(second));
        assertFalse(Files.exists(first), "the earlier version is removed");
        try (var s = Files.list(bin)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith(".")).count(), "no temp files left: " + bin);
        }
        Map<String, Object> conflist = Json.parseObject(Files.readString(root.resolve("etc/cni/net.d/10-weft.conflist")));
        assertEquals("cbr0", conflist.get("name"), "flannel's network name: host-local's allocations under /var/lib/cni/networks/cbr0 carry over");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> plugins = (List<Map<String, Object>>) conflist.get("plugins");
        assertEquals(List.of("weft", "portmap"), plugins.stream().map(p -> p.get("type")).toList());

        // The installed copy starts from the AOT cache made at build time (moved, but with the same jars)...
        Map<String, String> env = new LinkedHashMap<>(PluginRunner.env("VERSION", null, null, null));
        env.put("WEFT_JAVA_OPTS", "-XX:AOTMode=on -Xlog:aot=info:stderr");
        PluginRunner.Out o = PluginRunner.exec(List.of(bin.resolve("weft").toString()), env, "{\"cniVersion\":\"1.0.0\"}");
        assertEquals(0, o.exit(), o.stderr());
        assertTrue(o.stderr().contains("Opened AOT cache"), o.stderr());
        assertEquals("1.0.0", o.json().get("cniVersion"), "stdout holds only the result, the JVM log went to stderr");
        // ...which it only uses with the bundled runtime that made it...
        env.put("WEFT_JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64");
        env.put("WEFT_JAVA_OPTS", "-Xlog:aot=info:stderr");
        o = PluginRunner.exec(List.of(bin.resolve("weft").toString()), env, "{}");
        assertEquals(0, o.exit(), o.stderr());
        assertFalse(o.stderr().contains("Opened AOT cache"), "another runtime runs without the cache: " + o.stderr());
        env.remove("WEFT_JAVA_HOME");
        // ...and never from a cache older than its jars (JDK-8377932: a stale cache silently runs old classes)
        Files.setLastModifiedTime(bin.resolve("weft-runtime/lib/weft-cni-plugin.jar"), FileTime.from(Instant.now().plusSeconds(5)));
        env.put("WEFT_JAVA_OPTS", "-Xlog:aot=info:stderr");
        o = PluginRunner.exec(List.of(bin.resolve("weft").toString()), env, "{}");
        assertEquals(0, o.exit(), o.stderr());
        assertFalse(o.stderr().contains("Opened AOT cache"), o.stderr());
    }

    @Test
    void reinstallKeepsAnEditedConflistUnlessForced() throws Exception {
        install();
        Path conf = root.resolve("etc/cni/net.d/10-weft.conflist");
        Files.writeString(conf, "{\"edited\":true}");
        install();
        assertEquals("{\"edited\":true}", Files.readString(conf));
        install("--force-conflist");
        assertTrue(Files.readString(conf).contains("\"weft\""));
        install("--no-conflist", "--bin-dir", root.resolve("other-bin").toString());
        assertTrue(Files.isExecutable(root.resolve("other-bin/weft")));
    }

    /** Runs the installed conflist the way libcni does: name and cniVersion into each plugin, prevResult along the chain. */
    @Test
    @SuppressWarnings("unchecked")
    void theInstalledConflistWorksAsAChain() throws Exception {
        install();
        Map<String, Object> conflist = Json.parseObject(Files.readString(root.resolve("etc/cni/net.d/10-weft.conflist")));
        List<Map<String, Object>> plugins = (List<Map<String, Object>>) conflist.get("plugins");
        try (Node n = new Node("cniinst")) {
            String pod = n.pod("p");
            Map<String, Object> prev = null;
            for (Map<String, Object> p : plugins) {
                Map<String, Object> c = new LinkedHashMap<>(p);
                c.put("name", conflist.get("name"));
                c.put("cniVersion", conflist.get("cniVersion"));
                if (c.get("type").equals("weft")) {
                    c.put("subnetFile", n.subnetFile.toString()); // the test node's, not the machine's /run/flannel
                    c.put("dataDir", n.dir.toString());
                } else {
                    c.put("runtimeConfig", Map.of("portMappings", List.of(Map.of("hostPort", 18081L, "containerPort", 80L, "protocol", "tcp"))));
                }
                if (prev != null) c.put("prevResult", prev);
                Path exe = c.get("type").equals("weft") ? root.resolve("opt/cni/bin/weft") : PluginRunner.REF_DIR.resolve("portmap");
                prev = n.run.call(exe, PluginRunner.env("ADD", "inst", pod, "eth0"), new JsonOut().anyValue(c).toString()).ok();
            }
            assertTrue(n.sh("iptables", "-t", "nat", "-S").contains("18081"));
            for (int i = plugins.size() - 1; i >= 0; i--) {
                Map<String, Object> c = new LinkedHashMap<>(plugins.get(i));
                c.put("name", conflist.get("name"));
                c.put("cniVersion", conflist.get("cniVersion"));
                if (c.get("type").equals("weft")) {
                    c.put("subnetFile", n.subnetFile.toString());
                    c.put("dataDir", n.dir.toString());
                } else {
                    c.put("runtimeConfig", Map.of("portMappings", List.of(Map.of("hostPort", 18081L, "containerPort", 80L, "protocol", "tcp"))));
                }
                c.put("prevResult", prev);
                Path exe = c.get("type").equals("weft") ? root.resolve("opt/cni/bin/weft") : PluginRunner.REF_DIR.resolve("portmap");
                n.run.call(exe, PluginRunner.env("DEL", "inst", pod, "eth0"), new JsonOut().anyValue(c).toString()).ok();
            }
            assertFalse(n.sh("iptables", "-t", "nat", "-S").contains("18081"));
            assertFalse(Files.list(n.ipamDir("cbr0")).anyMatch(p -> p.getFileName().toString().startsWith("10.")));
        }
    }
}
