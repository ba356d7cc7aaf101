package io.weft.lab.cni;

import io.weft.cni.spec.Json;
import io.weft.lab.build.BuiltArtifact;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls a CNI plugin executable the way containerd does: CNI_* in a clean environment, the config on stdin,
 * stdout parsed as the result. It runs inside the test's "node" namespace ({@code ip netns exec}), so the
 * bridge and host veths land there and never in the machine's own namespace.
 */
public final class PluginRunner {
    /** The built plugin the tests run (see {@link #find()}). */
    public static final Path WEFT = find().orElseGet(() -> Path.of(System.getProperty("weft.plugin", "cni-plugin/target/weft")).toAbsolutePath());
    public static final Path REF_DIR = Path.of("/usr/lib/cni");

    public record Out(int exit, String stdout, String stderr) {
        public Map<String, Object> json() {
            return Json.parseObject(stdout);
        }

        /** Asserts success and returns the parsed result (or null when stdout is empty, as for DEL). */
        public Map<String, Object> ok() {
            if (exit != 0) throw new AssertionError("plugin failed (exit " + exit + "): " + stdout + "\nstderr: " + stderr);
            return stdout.isBlank() ? null : json();
        }

        /** Asserts the CNI error object with this code, and that stdout holds nothing but that object. */
        public Map<String, Object> error(int code) {
            if (exit != 1) throw new AssertionError("exit status " + exit + ", expected 1; stdout: " + stdout + " stderr: " + stderr);
            Map<String, Object> e = json();
            if (!Long.valueOf(code).equals(e.get("code"))) throw new AssertionError("error code " + e.get("code") + ", expected " + code + " in " + stdout);
            if (!(e.get("msg") instanceof String s && !s.isBlank())) throw new AssertionError("error has no msg: " + stdout);
            return e;
        }
    }

    private final String nodeNs;

    public PluginRunner(String nodeNs) {
        this.nodeNs = nodeNs;
    }

    /**
     * Where the built {@code weft} plugin is: -Dweft.plugin (the lab's tests set it to the build's), else beside this
     * build tree (the lab launcher's weft.home, or the working directory), else /opt/cni/bin.
     */
    public static Optional<Path> find() {
        String prop = System.getProperty("weft.plugin");
        if (prop != null) return Optional.of(Path.of(prop).toAbsolutePath().normalize()).filter(Files::isExecutable);
        return BuiltArtifact.find("cni-plugin", "weft").or(() -> Optional.of(Path.of("/opt/cni/bin/weft")).filter(Files::isExecutable));
    }

    public static void requireBuilt() {
        if (!Files.isExecutable(WEFT)) throw new AssertionError(WEFT + " is missing: run mvn package first (the ITs test the built launcher)");
        if (!Files.isExecutable(REF_DIR.resolve("bridge"))) {
            throw new AssertionError("reference CNI plugins missing in /usr/lib/cni: apt-get install -y containernetworking-plugins");
        }
    }

    public Out weft(String command, String containerId, String netns, String ifname, String stdin) {
        return call(WEFT, env(command, containerId, netns, ifname), stdin);
    }

    public Out ref(String plugin, String command, String containerId, String netns, String ifname, String stdin) {
        return call(REF_DIR.resolve(plugin), env(command, containerId, netns, ifname), stdin);
    }

    public static Map<String, String> env(String command, String containerId, String netns, String ifname) {
        Map<String, String> e = new java.util.LinkedHashMap<>();
        if (command != null) e.put("CNI_COMMAND", command);
        if (containerId != null) e.put("CNI_CONTAINERID", containerId);
        if (netns != null) e.put("CNI_NETNS", netns.contains("/") ? netns : "/var/run/netns/" + netns);
        if (ifname != null) e.put("CNI_IFNAME", ifname);
        e.put("CNI_PATH", REF_DIR.toString());
        return e;
    }

    public Out call(Path exe, Map<String, String> env, String stdin) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", nodeNs, exe.toString()));
        return exec(cmd, env, stdin);
    }

    public static Out exec(List<String> cmd, Map<String, String> env, String stdin) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> pe = pb.environment();
        pe.keySet().removeIf(k -> k.startsWith("CNI_"));
        pe.putAll(env);
        try {
            Process p = pb.start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the plugin may exit before reading stdin (e.g. missing env)
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Out(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String read(java.io.InputStream s) {
        try (s) {
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
