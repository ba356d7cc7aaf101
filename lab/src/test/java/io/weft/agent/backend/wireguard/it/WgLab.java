package io.weft.agent.backend.wireguard.it;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.traffic.Transfer;
import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A {@link LabCluster} whose agents run the wireguard backend: each node's agent gets its own key file
 * ({@code WIREGUARD_KEY_FILE} in its directory) and its /metrics on 127.0.0.1:10267 in its namespace; helpers to
 * ping, move TCP streams and read metrics between pods. Needs root (the lab fails loudly without it).
 */
final class WgLab implements AutoCloseable {
    static final int HEALTHZ = 10267;
    final LabCluster lab;

    /** The address families of a dual-stack cluster's net-conf.json (pod networks 10.244.0.0/16, fd00:10:244::/56). */
    static final String DUAL_STACK = "\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\"";
    /** The address families of an IPv6-only cluster's net-conf.json. */
    static final String IPV6_ONLY = "\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\"";

    /** An IPv4 cluster (Network 10.244.0.0/16) whose Backend is {@code backendJson}. */
    WgLab(String prefix, int nodes, String backendJson) throws IOException {
        this(new LabCluster(prefix, nodes, netConf("\"Network\":\"10.244.0.0/16\"", backendJson)));
    }

    private WgLab(LabCluster lab) {
        this.lab = lab;
        lab.agentArgs(List.of("--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTHZ)));
        lab.agentEnv(n -> Map.of("WIREGUARD_KEY_FILE", keyFile(n).toString()));
    }

    /**
     * A cluster of the given families ({@link #DUAL_STACK}, {@link #IPV6_ONLY}) whose Backend is {@code backendJson};
     * every node's eth0 gets its IPv6 address ({@code fd00:31::i}), and with IPv6-only loses its IPv4 one.
     */
    static WgLab ipv6(String prefix, int nodes, String families, String backendJson) throws IOException {
        WgLab w = new WgLab(new LabCluster(prefix, nodes, netConf(families, backendJson)));
        w.lab.ipv6Underlay(families.equals(IPV6_ONLY));
        return w;
    }

    static String netConf(String families, String backendJson) {
        return "{" + families + ",\"Backend\":" + backendJson + "}";
    }

    /** Writes a net-conf.json of its own for a node that runs differently (another Datapath): for {@link #start(LabCluster.Node, Path)}. */
    Path conf(String name, String families, String backendJson) throws IOException {
        Path p = lab.workDir().resolve(name + ".json");
        Files.writeString(p, netConf(families, backendJson));
        return p;
    }

    /** The node's lease as the lease directory holds it (flannel's bytes), found by the subnets its subnet.env names. */
    String leaseJson(LabCluster.Node n) throws IOException {
        SubnetEnv env = SubnetEnv.read(n.subnetFile());
        String key = new io.weft.agent.subnet.SubnetKey(env.subnet(), env.ipv6Subnet()).toString();
        return Files.readString(lab.leaseDir().resolve("subnets").resolve(key));
    }

    LabCluster.Node node(int i) {
        return lab.node(i);
    }

    static Path keyFile(LabCluster.Node n) {
        return n.dir().resolve("wgkey");
    }

    Process start(LabCluster.Node n) throws IOException {
        return lab.startAgent(n);
    }

    Process start(LabCluster.Node n, Path netConf) throws IOException {
        return lab.startAgent(n, netConf);
    }

    /** SIGTERM and wait, as kubelet stops the agent. */
    int stop(LabCluster.Node n) throws InterruptedException {
        return lab.stopAgent(n);
    }

    SubnetEnv awaitReady(LabCluster.Node n) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Process p = lab.agent(n);
            if (p != null && !p.isAlive()) throw new AssertionError("weftd on node " + n.index() + " exited " + p.exitValue() + ":\n" + lab.log(n));
            if (Files.exists(n.subnetFile())) return SubnetEnv.read(n.subnetFile());
            Thread.sleep(50);
        }
        throw new AssertionError("weftd on node " + n.index() + " wrote no subnet.env:\n" + lab.log(n));
    }

    static IpRunner.Result sh(String... cmd) {
        return IpRunner.run(List.of(cmd), null);
    }

    static boolean ping(LabCluster.Pod from, String to, int count) {
        return sh("ip", "netns", "exec", from.netns(), "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1",
                to).exitCode() == 0;
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(100);
        }
    }

    /** TrafficTool in a namespace (a child JVM). */
    static Process tool(String ns, String... args) throws IOException {
        return Overlay.tool(ns, args);
    }

    private static final Map<Process, java.io.BufferedReader> READERS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Reads lines of {@code p} until one starts with {@code prefix} (later calls go on where this one stopped). */
    static String awaitLine(Process p, String prefix, long seconds) throws Exception {
        java.io.BufferedReader r = READERS.computeIfAbsent(p, k -> new java.io.BufferedReader(new java.io.InputStreamReader(k.getInputStream())));
        var f = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder all = new StringBuilder();
                for (String l; (l = r.readLine()) != null; ) {
                    if (l.startsWith(prefix)) return l;
                    all.append(l).append('\n');
                }
                return "EOF " + all;
            } catch (IOException e) {
                return "ERROR " + e;
            }
        });
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } finally {
            if (!f.isDone()) p.destroyForcibly();
        }
    }

    /** A TCP stream of {@code bytes} from pod {@code from} to pod {@code to}: the sha256 both sides saw must match. */
    static void tcp(LabCluster.Pod from, LabCluster.Pod to, int port, long bytes) throws Exception {
        tcp(from, to, to.ip().toString(), port, bytes);
    }

    /** {@link #tcp(LabCluster.Pod, LabCluster.Pod, int, long)} over IPv6, to the pod's IPv6 address. */
    static void tcp6(LabCluster.Pod from, LabCluster.Pod to, int port, long bytes) throws Exception {
        tcp(from, to, to.ip6().toString(), port, bytes);
    }

    private static void tcp(LabCluster.Pod from, LabCluster.Pod to, String toAddress, int port, long bytes) throws Exception {
        Transfer.tcp(from.netns(), to.netns(), toAddress, port, bytes);
    }

    static boolean ping6(LabCluster.Pod from, LabCluster.Pod to, int count) {
        return sh("ip", "netns", "exec", from.netns(), "ping", "-6", "-c", Integer.toString(count), "-i", "0.2", "-W", "1",
                to.ip6().toString()).exitCode() == 0;
    }

    /**
     * tcpdump on the underlay bridge into {@code underlay.pcap}, with {@code filter}; stop it with
     * {@link #captured(Process)}, which returns the packets one per line.
     */
    Process capture(String filter) throws Exception {
        Path file = lab.workDir().resolve("underlay.pcap");
        Files.deleteIfExists(file);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.underlayNetns(), "tcpdump", "-i", "br0", "-U", "-s", "0",
                "-w", file.toString()));
        cmd.addAll(List.of(filter.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        await("tcpdump listening", Duration.ofSeconds(10), () -> Files.exists(file));
        Thread.sleep(300);
        return p;
    }

    List<String> captured(Process tcpdump) throws Exception {
        tcpdump.destroy();
        tcpdump.waitFor(10, TimeUnit.SECONDS);
        return sh("tcpdump", "-nn", "-r", capturedFile().toString()).stdout().lines().toList();
    }

    Path capturedFile() {
        return lab.workDir().resolve("underlay.pcap");
    }

    /** The agent's /metrics, fetched inside the node's namespace. */
    static String metrics(LabCluster.Node n) throws Exception {
        Process p = tool(n.netns(), "http-get", "http://127.0.0.1:" + HEALTHZ + "/metrics");
        String body = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return body;
    }

    /** The value of the first metric line starting with {@code prefix} (name and labels), or -1. */
    static long metric(String metrics, String prefix) {
        return metrics.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1L);
    }

    @Override
    public void close() {
        lab.close();
    }
}
