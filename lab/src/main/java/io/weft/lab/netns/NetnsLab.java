package io.weft.lab.netns;

import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts made of network namespaces on this machine, the one harness every lab cluster, overlay and test builds on:
 * namespaces under one prefix (random per test, so parallel or leftover runs never collide; fixed for the demo),
 * veth pairs, an underlay LAN of nodes, pods plugged into a node's {@code cni0}. {@link #close()} kills what runs
 * inside and deletes every namespace it made. Nothing is added to the caller's own namespace: all addresses live
 * inside the namespaces.
 *
 * <p>Needs root. {@link #requireRoot()} fails (never skips) where it is missing, because a silently skipped
 * network test proves nothing.
 */
public final class NetnsLab implements AutoCloseable {
    private final String prefix;
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());
    private final List<String> nodes = new ArrayList<>();

    /** Namespaces {@code <tag>-<4 random hex digits>-<name>}. */
    public NetnsLab(String tag) {
        this(tag, HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt()));
    }

    private NetnsLab(String tag, String suffix) {
        requireRoot();
        this.prefix = suffix.isEmpty() ? tag : tag + "-" + suffix;
    }

    /** Namespaces named exactly {@code <prefix>-<name>}, as the demo documents them ({@link #leftovers} finds them). */
    public static NetnsLab named(String prefix) {
        return new NetnsLab(prefix, "");
    }

    /** Whether this process runs as root, as making namespaces needs. */
    public static boolean isRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    public static void requireRoot() {
        if (!isRoot()) {
            throw new AssertionError("this test creates network namespaces and needs root (run the test command as root)");
        }
        for (String tool : List.of("ip", "bridge")) {
            if (!onPath(tool)) throw new AssertionError(tool + " is missing: install iproute2");
        }
    }

    /** Whether {@code tool} is an executable on $PATH (or in the sbin directories, which a non-login PATH may lack). */
    public static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        return dirs.stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
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

    /** Takes over a namespace made by someone else (a CNI runtime's pod), so that {@link #close()} removes it too. */
    public void adopt(String fullName) {
        created.add(fullName);
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
     * An underlay LAN: a bridge br0 in namespace {@link #underlay()} and {@code n} node namespaces
     * {@code <prefix>-n1..nN}, each with eth0 = {@code 172.31.0.<i>/24} on that bridge (port {@code p<i>}) and IP
     * forwarding on.
     */
    public List<String> nodes(int n) {
        String ul = netns("ul");
        sh("ip", "-n", ul, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", ul, "link", "set", "br0", "up");
        List<String> made = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String node = netns("n" + i);
            veth(node, "eth0", ul, "p" + i);
            sh("ip", "-n", ul, "link", "set", "p" + i, "master", "br0");
            sh("ip", "-n", node, "addr", "add", nodeIp(i) + "/24", "dev", "eth0");
            sysctl(node, "net.ipv4.ip_forward", "1");
            made.add(node);
        }
        nodes.addAll(made);
        return made;
    }

    /** The underlay bridge's namespace, where a service every node reaches (an API server, etcd) can listen. */
    public String underlay() {
        return prefix + "-ul";
    }

    public static String nodeIp(int i) {
        return "172.31.0." + i;
    }

    /**
     * Makes the underlay behave like a real NIC: transmit checksumming off on both ends of every node's veth (a wire
     * carries complete checksums only; a veth with its default offloads hands its peer half-done ones as skb
     * metadata) and GRO on each node's eth0 (a veth hands a forwarded packet to GRO only when the sending end has no
     * TSO, which needs transmit checksumming). Without this the veths stay as Docker, kind and netns give them.
     */
    public void nicLike() {
        requireTool("ethtool", "the NIC-like underlay needs it");
        for (int i = 1; i <= nodes.size(); i++) {
            exec(nodes.get(i - 1), "ethtool", "-K", "eth0", "tx", "off", "gro", "on");
            exec(underlay(), "ethtool", "-K", "p" + i, "tx", "off");
        }
    }

    private static void requireTool(String tool, String why) {
        if (!onPath(tool)) throw new AssertionError(tool + " is missing (apt-get install " + tool + "): " + why);
    }

    /**
     * A pod plugged into {@code node}'s cni0 the way a bridge CNI plugin plugs one: the bridge (made on first use,
     * with {@code gateway/prefixLen}), a veth pair with {@code hostIf} on the bridge and the pod's end as eth0 with
     * {@code ip/prefixLen}, a default route via the gateway. {@code mtu} 0 keeps the devices' default.
     * Returns the pod namespace {@code <prefix>-<name>}.
     */
    public String pod(String node, String name, String hostIf, Ipv4Address gateway, int prefixLen, Ipv4Address ip, int mtu) {
        return pod(node, name, hostIf, mtu, List.of(new PodAddress(gateway, prefixLen, ip)));
    }

    /** One family's address of a pod: the gateway on cni0, the prefix length, the pod's own address. */
    public record PodAddress(IpAddress gateway, int prefixLen, IpAddress ip) {}

    /**
     * The same with an address of each family in {@code addresses} (IPv4, IPv6, or both), each with its default
     * route. IPv6 addresses are added without duplicate address detection: the lab made every address on the link.
     */
    public String pod(String node, String name, String hostIf, int mtu, List<PodAddress> addresses) {
        Netns n = Netns.named(node);
        if (new IpReader(n).link("cni0").isEmpty()) {
            IpBatch b = new IpBatch().add(Link.addBridge("cni0"));
            if (mtu > 0) b.add(Link.mtu("cni0", mtu));
            for (PodAddress a : addresses) b.add(addNoDad("cni0", a.gateway(), a.prefixLen()));
            b.add(Link.up("cni0")).apply(n);
        }
        String pod = netns(name);
        IpBatch host = new IpBatch().add(Link.addVeth(hostIf, "ceth0")).add(Link.moveTo("ceth0", Netns.named(pod)));
        if (mtu > 0) host.add(Link.mtu(hostIf, mtu));
        host.add(Link.master(hostIf, "cni0")).add(Link.up(hostIf)).apply(n);
        IpBatch inPod = new IpBatch().add(Link.rename("ceth0", "eth0"));
        if (mtu > 0) inPod.add(Link.mtu("eth0", mtu));
        for (PodAddress a : addresses) inPod.add(addNoDad("eth0", a.ip(), a.prefixLen()));
        inPod.add(Link.up("eth0"));
        for (PodAddress a : addresses) inPod.add(RouteEntry.via(IpCidr.any(a.ip().bits()), a.gateway(), "eth0").add());
        inPod.apply(Netns.named(pod));
        return pod;
    }

    private static IpOp addNoDad(String dev, IpAddress a, int prefixLen) {
        return a.bits() == 32 ? Addr.add(dev, a, prefixLen) : IpOp.ip("addr", "add", a + "/" + prefixLen, "dev", dev, "nodad");
    }

    /** Node i's IPv6 underlay address (with {@link #ipv6Underlay}). */
    public static String nodeIpv6(int i) {
        return "fd00:31::" + i;
    }

    /**
     * Gives every node's eth0 the IPv6 address {@link #nodeIpv6} /64 (no duplicate address detection: the lab made
     * the link) and IPv6 forwarding, as a dual-stack node has; {@code dropIpv4} removes the IPv4 address too, for an
     * IPv6-only underlay.
     */
    public void ipv6Underlay(boolean dropIpv4) {
        for (int i = 1; i <= nodes.size(); i++) {
            String node = nodes.get(i - 1);
            sh("ip", "-n", node, "addr", "add", nodeIpv6(i) + "/64", "dev", "eth0", "nodad");
            sysctl(node, "net.ipv6.conf.all.forwarding", "1");
            if (dropIpv4) sh("ip", "-n", node, "addr", "del", nodeIp(i) + "/24", "dev", "eth0");
        }
    }

    /** Applies iproute2 operations in one namespace, in one batch. */
    public static void ip(String ns, IpOp... ops) {
        IpBatch b = new IpBatch();
        for (IpOp op : ops) b.add(op);
        b.apply(Netns.named(ns));
    }

    /** Runs a command in a namespace and returns its stdout; throws with stderr on a non-zero exit. */
    public static String exec(String ns, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return sh(c.toArray(String[]::new));
    }

    public static String sh(String... cmd) {
        IpRunner.Result r = IpRunner.run(List.of(cmd), null);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exitCode() + ": " + r.stderr() + r.stdout());
        }
        return r.stdout();
    }

    /** Runs a command and returns its result whatever the exit code. */
    public static IpRunner.Result run(String... cmd) {
        return IpRunner.run(List.of(cmd), null);
    }

    /** Namespaces left by an earlier run with this exact prefix (a crashed demo, say). */
    public static List<String> leftovers(String prefix) {
        String out = IpRunner.run(List.of("ip", "netns", "list"), null).stdout();
        return out.lines().map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(prefix + "-")).toList();
    }

    /** Removes namespaces left by an earlier run with this prefix, killing what still runs in them. */
    public static void cleanup(String prefix) {
        remove(leftovers(prefix));
    }

    /** Kills what runs in the namespaces, then deletes them; pods (longer names) before the nodes they hang on. */
    private static void remove(List<String> namespaces) {
        List<String> all = new ArrayList<>(namespaces);
        all.sort(Comparator.reverseOrder());
        for (String ns : all) {
            IpRunner.Result pids = IpRunner.run(List.of("ip", "netns", "pids", ns), null);
            for (String pid : pids.stdout().split("\\s+")) {
                if (!pid.isBlank()) IpRunner.run(List.of("kill", "-9", pid), null);
            }
        }
        for (String ns : all) IpRunner.run(List.of("ip", "netns", "del", ns), null);
    }

    @Override
    public void close() {
        List<String> all;
        synchronized (created) {
            all = new ArrayList<>(created);
            created.clear();
        }
        remove(all);
    }
}
