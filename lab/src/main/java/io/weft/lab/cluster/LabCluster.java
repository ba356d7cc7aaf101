package io.weft.lab.cluster;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.lab.cni.PluginRunner;
import io.weft.lab.jvm.ChildJvm;
import io.weft.lab.netns.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A cluster of nodes built from network namespaces on this machine: an underlay LAN (a bridge in its own
 * namespace), one namespace per node with eth0 on that LAN, one weftd process per node sharing a lease
 * directory, and pods as namespaces plugged into each node's cni0. Every address lives inside these
 * namespaces; the machine's own namespace gets nothing. {@link #close()} removes it all.
 */
public final class LabCluster implements AutoCloseable {

    /** A node: its namespace, underlay address and the files its agent uses. */
    public record Node(int index, String netns, Ipv4Address ip, Path dir) {
        public Path subnetFile() {
            return dir.resolve("subnet.env");
        }

        public Path log() {
            return dir.resolve("weftd.log");
        }

        public Netns ns() {
            return Netns.named(netns);
        }

        /** The node's IPv6 underlay address, once {@link #ipv6Underlay} gave it one. */
        public Ipv6Address ipv6() {
            return Ipv6Address.parse(NetnsLab.nodeIpv6(index));
        }
    }

    /** A pod: its namespace, addresses (either may be null on a one-family cluster) and the node it lives on. */
    public record Pod(String name, String netns, Ipv4Address ip, Node node, Ipv6Address ip6) {
        public Pod(String name, String netns, Ipv4Address ip, Node node) {
            this(name, netns, ip, node, null);
        }
    }

    /** Every node's eth0 gets its IPv6 address ({@link NetnsLab#ipv6Underlay}); {@code dropIpv4}: IPv6 only. */
    public void ipv6Underlay(boolean dropIpv4) {
        ns.ipv6Underlay(dropIpv4);
    }

    private final NetnsLab ns;
    private final Path work;
    private final Path leaseDir;
    private final Path netConf;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Integer, Process> agents = new ConcurrentHashMap<>();
    private final List<Pod> pods = new ArrayList<>();
    private List<String> extraAgentArgs = List.of();
    private String resync = "1s"; // tests check the kernel every second; null: weftd's own default
    private java.util.function.Function<Node, Map<String, String>> agentEnv = n -> Map.of();
    private String kubeApiUrl; // null: agents share the lease directory
    private String etcdUrl; // agents keep leases in etcd there, config included
    private Path launcher; // null: agents run on this JVM's classes; else through weftd's launcher script

    /**
     * A cluster in namespaces {@code <tag>-<random>-ul}, {@code -n1}, {@code -n1-<pod>}, ... (a test's).
     *
     * @param netConf the net-conf.json every node uses
     */
    public LabCluster(String tag, int nodeCount, String netConf) throws IOException {
        this(new NetnsLab(tag), nodeCount, netConf);
    }

    /** A cluster in {@code ns}'s namespaces, e.g. {@code NetnsLab.named("wdemo")} gives wdemo-ul, wdemo-n1, wdemo-n1-pod1. */
    public LabCluster(NetnsLab ns, int nodeCount, String netConf) throws IOException {
        this.ns = ns;
        boolean ok = false;
        try {
            this.work = Files.createTempDirectory(ns.prefix() + "-");
            this.leaseDir = work.resolve("leases");
            this.netConf = work.resolve("net-conf.json");
            Files.writeString(netConf(), netConf);
            List<String> made = ns.nodes(nodeCount);
            for (int i = 1; i <= nodeCount; i++) {
                Path dir = work.resolve("node" + i);
                Files.createDirectories(dir);
                nodes.add(new Node(i, made.get(i - 1), Ipv4Address.parse(NetnsLab.nodeIp(i)), dir));
            }
            ok = true;
        } finally {
            if (!ok) ns.close();
        }
    }

    /** The namespaces the cluster lives in. */
    public NetnsLab netns() {
        return ns;
    }

    /**
     * Agents use the Kubernetes subnet manager against {@code url} instead of the lease directory; node i is the
     * Node object "node&lt;i&gt;" (NODE_NAME, as the DaemonSet sets it).
     */
    public void useKubeApi(String url) {
        this.kubeApiUrl = url;
    }

    /** Agents keep their leases in etcd at {@code url} and read the network config from it, as flanneld does. */
    public void useEtcd(String url) {
        this.etcdUrl = url;
    }

    /** The underlay bridge's namespace, where a shared service (an API server) can listen on {@link #UNDERLAY_SERVICE_IP}. */
    public String underlayNetns() {
        return ns.underlay();
    }

    /** Gives the underlay bridge an address, so that something in {@link #underlayNetns()} serves every node. */
    public Ipv4Address addUnderlayService() {
        NetnsLab.ip(underlayNetns(), Addr.add("br0", UNDERLAY_SERVICE_IP, 24));
        return UNDERLAY_SERVICE_IP;
    }

    public static final Ipv4Address UNDERLAY_SERVICE_IP = Ipv4Address.parse("172.31.0.250");

    public static String nodeName(Node n) {
        return "node" + n.index();
    }

    /**
     * How often agents check the kernel against the leases (1s by default, so tests see repairs at once; null: weftd's
     * own default, as production runs it). Agents repair a hand-deleted entry at once from the kernel's notifications.
     */
    public void resyncInterval(String interval) {
        this.resync = interval;
    }

    public void agentArgs(List<String> args) {
        this.extraAgentArgs = List.copyOf(args);
    }

    /** Agents run through {@code launcher} (a build's agent/target/weftd) with its JVM and memory options, as on a node. */
    public void agentLauncher(Path launcher) {
        this.launcher = launcher;
    }

    /** Environment variables for each node's agent (beyond NODE_NAME), e.g. its own WIREGUARD_KEY_FILE. */
    public void agentEnv(java.util.function.Function<Node, Map<String, String>> env) {
        this.agentEnv = env;
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(int i) {
        return nodes.get(i - 1);
    }

    public Path leaseDir() {
        return leaseDir;
    }

    public Path netConf() {
        return netConf;
    }

    public Path workDir() {
        return work;
    }

    public List<Pod> pods() {
        return List.copyOf(pods);
    }

    /** The command that starts weftd on a node: this JVM's java and classpath, inside the node's namespace. */
    public List<String> agentCommand(Node n) {
        return agentCommand(n, netConf);
    }

    /** The same with another net-conf.json, e.g. a broken one. */
    public List<String> agentCommand(Node n, Path netConfFile) {
        // every node's agent has its own debug socket: the machine's /run/weft is shared by all the namespaces
        List<String> args = new ArrayList<>(List.of("--iface", "eth0", "--debug-socket", debugSocket(n).toString()));
        if (kubeApiUrl != null) {
            args.addAll(List.of("--kube-subnet-mgr", "--kube-api-url", kubeApiUrl));
        } else if (etcdUrl != null) {
            args.addAll(List.of("--etcd-endpoints", etcdUrl));
        } else {
            args.addAll(List.of("--lease-dir", leaseDir.toString()));
        }
        // with etcd the config is etcd's, as flanneld reads it, unless a node is given a file of its own
        if (etcdUrl == null || !netConfFile.equals(netConf)) args.addAll(List.of("--net-config-path", netConfFile.toString()));
        args.addAll(List.of("--subnet-file", n.subnetFile().toString()));
        if (resync != null) args.addAll(List.of("--resync-interval", resync));
        args.addAll(extraAgentArgs);
        // A class-data archive per node: a restarted agent then starts as a production one does from the launcher's
        // AOT cache, instead of paying a cold start that production does not pay (~0.4 s of a restart here).
        return weftdCommand(n, "weftd.jsa", args);
    }

    /** {@code weftd args} in the node's namespace: through {@link #agentLauncher} if set, else on this JVM's classes and {@code archive}. */
    public List<String> weftdCommand(Node n, String archive, List<String> args) {
        if (launcher != null) return Stream.concat(Stream.of("ip", "netns", "exec", n.netns(), launcher.toString()), args.stream()).toList();
        return ChildJvm.command(n.netns(), n.dir().resolve(archive),
                List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m"), "io.weft.agent.Main", args);
    }

    /** The node's agent's debug API socket (weftd --debug-socket). */
    public Path debugSocket(Node n) {
        return n.dir().resolve("weftd.sock");
    }

    public Process startAgent(Node n) throws IOException {
        return startAgent(n, netConf);
    }

    public Process startAgent(Node n, Path netConfFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(agentCommand(n, netConfFile));
        pb.environment().put("NODE_NAME", nodeName(n));
        pb.environment().putAll(agentEnv.apply(n));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile()));
        Process p = pb.start();
        agents.put(n.index(), p);
        return p;
    }

    /** SIGTERM, as kubelet sends it, then waits for the agent to exit. */
    public int stopAgent(Node n) throws InterruptedException {
        Process p = agents.remove(n.index());
        if (p == null) return -1;
        // `ip netns exec` execs the JVM, so the process we hold is the agent itself.
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        return p.exitValue();
    }

    /** SIGKILL, as a crash or the OOM killer ends an agent; returns its exit code. */
    public int killAgent(Node n) throws InterruptedException {
        Process p = agents.remove(n.index());
        if (p == null) return -1;
        p.destroyForcibly();
        p.waitFor();
        return p.exitValue();
    }

    /**
     * The routes, permanent neighbours and FDB entries on the node's flannel.1, counted from iproute2's plain output
     * (cheap enough to poll with thousands of entries).
     */
    public static int overlayCount(Node n) {
        return lines(List.of("ip", "-n", n.netns(), "-4", "-o", "route", "show", "dev", "flannel.1"), null)
                + lines(List.of("ip", "-n", n.netns(), "-4", "neigh", "show", "dev", "flannel.1", "nud", "permanent"), null)
                + lines(List.of("bridge", "-n", n.netns(), "fdb", "show", "dev", "flannel.1"), " dst ");
    }

    private static int lines(List<String> cmd, String containing) {
        return (int) io.weft.core.iproute.IpRunner.run(cmd, null).stdout().lines()
                .filter(l -> !l.isBlank() && (containing == null || l.contains(containing))).count();
    }

    /** Whether the node's agent answers 200 on /readyz at {@code port}. */
    public static boolean ready(Node n, int port) {
        return get(n, port, "/readyz").startsWith("HTTP/1.1 200");
    }

    /** An HTTP GET to 127.0.0.1:{@code port} inside the node's namespace (bash's /dev/tcp: no curl needed); the raw reply. */
    public static String get(Node n, int port, String path) {
        return io.weft.core.iproute.IpRunner.run(List.of("ip", "netns", "exec", n.netns(), "bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/" + port + " && printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"),
                null).stdout();
    }

    public Process agent(Node n) {
        return agents.get(n.index());
    }

    /** Waits until the node's agent has written subnet.env; fails with the agent's log if it exits first. */
    public SubnetEnv awaitSubnetEnv(Node n, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(n.subnetFile())) return SubnetEnv.read(n.subnetFile());
            Process p = agents.get(n.index());
            if (p != null && !p.isAlive()) {
                throw new IllegalStateException("weftd on node " + n.index() + " exited " + p.exitValue() + ":\n" + log(n));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("weftd on node " + n.index() + " wrote no subnet.env within " + timeout + ":\n" + log(n));
    }

    /** Waits until every node has a route to every other node's subnet. */
    public void awaitConverged(Duration timeout) throws IOException, InterruptedException {
        awaitConverged(timeout, nodes);
    }

    /** Waits until each of {@code nodes} has a route to every other one's subnet, of each family it has. */
    public void awaitConverged(Duration timeout, List<Node> nodes) throws IOException, InterruptedException {
        Convergence.await(this, timeout, nodes);
    }

    public String log(Node n) {
        try {
            return Files.exists(n.log()) ? Files.readString(n.log()) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Plugs a pod into the node's cni0 the way a bridge CNI plugin does ({@link NetnsLab#pod}): the gateway address
     * and MTU from subnet.env, the next free address.
     */
    public Pod addPod(Node n, String name) throws IOException {
        SubnetEnv env = SubnetEnv.read(n.subnetFile());
        long onNode = pods.stream().filter(p -> p.node().equals(n)).count();
        List<NetnsLab.PodAddress> addresses = new ArrayList<>();
        Ipv4Address ip = env.subnet() == null ? null : env.subnet().firstHost().plus(1 + onNode);
        if (ip != null) addresses.add(new NetnsLab.PodAddress(env.subnet().firstHost(), env.subnet().prefix(), ip));
        Ipv6Address ip6 = env.ipv6Subnet() == null ? null : env.ipv6Subnet().firstHost().plus(1 + onNode);
        if (ip6 != null) addresses.add(new NetnsLab.PodAddress(env.ipv6Subnet().firstHost(), env.ipv6Subnet().prefix(), ip6));
        String podNs = ns.pod(n.netns(), "n" + n.index() + "-" + name, "veth" + name, env.mtu(), addresses);
        Pod pod = new Pod(name, podNs, ip, n, ip6);
        pods.add(pod);
        return pod;
    }

    /**
     * Makes a pod the way kubelet/containerd do: an empty namespace, then the {@code weft} CNI plugin run in the
     * node's namespace ({@link PluginRunner}) with the network config on stdin. Returns the pod with the address the
     * plugin's result gives.
     */
    public Pod addPodWithCni(Node n, String name, Path plugin) throws IOException {
        String podNs = ns.netns("n" + n.index() + "-" + name);
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"subnetFile\":\""
                + n.subnetFile() + "\",\"dataDir\":\"" + n.dir().resolve("ipam") + "\",\"isDefaultGateway\":true}";
        Map<String, String> env = PluginRunner.env("ADD", podNs, podNs, "eth0");
        env.put("CNI_PATH", plugin.getParent().toString());
        PluginRunner.Out out = new PluginRunner(n.netns()).call(plugin, env, conf);
        Files.writeString(n.dir().resolve("cni.log"), out.stderr(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Matcher m = Pattern.compile("\"address\"\\s*:\\s*\"([0-9.]+)/").matcher(out.stdout());
        if (out.exit() != 0 || !m.find()) {
            throw new IllegalStateException("CNI ADD for " + name + " on node " + n.index() + " failed (exit " + out.exit() + "): "
                    + out.stdout() + out.stderr());
        }
        Pod pod = new Pod(name, podNs, Ipv4Address.parse(m.group(1)), n);
        pods.add(pod);
        return pod;
    }

    /** Registers a pod made elsewhere (by the CNI plugin) so that close() removes its namespace. */
    public Pod adoptPod(Node n, String name, String podNs, Ipv4Address ip) {
        ns.adopt(podNs);
        Pod pod = new Pod(name, podNs, ip, n);
        pods.add(pod);
        return pod;
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            try {
                stopAgent(n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ns.close();
        try (Stream<Path> s = Files.walk(work)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp dir is harmless
        }
    }
}
