package io.weft.lab.netns;

import io.weft.core.iproute.IpRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Test hosts made of network namespaces on this machine: each namespace gets a unique prefix so parallel or
 * leftover runs never collide, and {@link #close()} kills what runs inside and deletes every namespace it made.
 * Nothing is added to the caller's own namespace: all addresses live inside the namespaces.
 *
 * <p>Needs root. {@link #requireRoot()} fails (never skips) where it is missing, because a silently skipped
 * network test proves nothing.
 */
public final class NetnsLab implements AutoCloseable {
    private final String prefix;
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());

    public NetnsLab(String tag) {
        requireRoot();
        this.prefix = tag + "-" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    }

    public static void requireRoot() {
        String uid;
        try {
            uid = Files.readString(Path.of("/proc/self/status")).lines().filter(l -> l.startsWith("Uid:"))
                    .findFirst().orElse("Uid: -1").split("\\s+")[1];
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status", e);
        }
        if (!"0".equals(uid)) {
            throw new AssertionError("this test creates network namespaces and needs root (run the test command as root)");
        }
        for (String tool : List.of("/usr/sbin/ip", "/usr/sbin/bridge")) {
            if (!Files.isExecutable(Path.of(tool)) && !Files.isExecutable(Path.of(tool.replace("/usr", "")))) {
                throw new AssertionError(tool + " is missing: install iproute2");
            }
        }
    }

    public String prefix() {
        return prefix;
    }

    /** Creates namespace {@code <prefix>-<name>} with loopback up and returns its full name. */
    public String netns(String name) {
        String full = prefix + "-" + name;
        sh("ip", "netns", "add", full);
        created.add(full);
        sh("ip", "-n", full, "link", "set", "lo", "up");
        return full;
    }

    /** A veth pair with one end in each namespace, both up. */
    public void veth(String nsA, String ifA, String nsB, String ifB) {
        sh("ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        sh("ip", "-n", nsA, "link", "set", ifA, "up");
        sh("ip", "-n", nsB, "link", "set", ifB, "up");
    }

    public void sysctl(String ns, String key, String value) {
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", key + "=" + value);
    }

    /**
     * An underlay LAN: a bridge in its own namespace and {@code n} node namespaces {@code <prefix>-n1..nN},
     * each with eth0 = {@code 172.31.0.<i>/24} on that bridge and IP forwarding on.
     */
    public List<String> nodes(int n) {
        String ul = netns("ul");
        sh("ip", "-n", ul, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", ul, "link", "set", "br0", "up");
        List<String> nodes = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String node = netns("n" + i);
            veth(node, "eth0", ul, "p" + i);
            sh("ip", "-n", ul, "link", "set", "p" + i, "master", "br0");
            sh("ip", "-n", node, "addr", "add", nodeIp(i) + "/24", "dev", "eth0");
            sysctl(node, "net.ipv4.ip_forward", "1");
            nodes.add(node);
        }
        return nodes;
    }

    public static String nodeIp(int i) {
        return "172.31.0." + i;
    }

    /** Runs a command in a namespace and returns its stdout; fails the test with stderr on a non-zero exit. */
    public static String exec(String ns, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return sh(c.toArray(String[]::new));
    }

    public static String sh(String... cmd) {
        IpRunner.Result r = IpRunner.run(List.of(cmd), null);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.exitCode() + ": " + r.stderr() + r.stdout());
        }
        return r.stdout();
    }

    /** Runs a command and returns its result whatever the exit code. */
    public static IpRunner.Result run(String... cmd) {
        return IpRunner.run(List.of(cmd), null);
    }

    @Override
    public void close() {
        List<String> all;
        synchronized (created) {
            all = new ArrayList<>(created);
        }
        Collections.reverse(all);
        for (String ns : all) {
            IpRunner.Result pids = IpRunner.run(List.of("ip", "netns", "pids", ns), null);
            for (String pid : pids.stdout().split("\\s+")) {
                if (!pid.isBlank()) IpRunner.run(List.of("kill", "-9", pid), null);
            }
        }
        for (String ns : all) IpRunner.run(List.of("ip", "netns", "del", ns), null);
        created.clear();
    }
}
