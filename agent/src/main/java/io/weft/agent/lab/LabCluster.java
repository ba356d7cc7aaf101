package io.weft.agent.lab;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
    }

    /** A pod: its namespace, address and the node it lives on. */
    public record Pod(String name, String netns, Ipv4Address ip, Node node) {}

    private final String prefix;
    private final Path work;
    private final Path leaseDir;
    private final Path netConf;
    private final List<Node> nodes = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private final Map<Integer, Process> agents = new ConcurrentHashMap<>();
    private final List<Pod> pods = new ArrayList<>();
    private List<String> extraAgentArgs = List.of();
    private String kubeApiUrl; // null: agents share the lease directory
    private String etcdUrl; // agents keep leases in etcd there, config included

    /**
     * @param prefix  names every namespace, e.g. "wdemo" gives wdemo-ul, wdemo-n1, wdemo-n1-pod1
     * @param netConf the net-conf.json every node uses
     */
    public LabCluster(String prefix, int nodeCount, String netConf) throws IOException {
        this.prefix = prefix;
        this.work = Files.createTempDirectory(prefix + "-");
        this.leaseDir = work.resolve("leases");
        this.netConf = work.resolve("net-conf.json");
        Files.writeString(netConf(), netConf);
        boolean ok = false;
        try {
            String ul = addNetns(prefix + "-ul");
            run(Netns.named(ul), Link.addBridge("br0"), Link.up("br0"));
            for (int i = 1; i <= nodeCount; i++) {
                String ns = addNetns(prefix + "-n" + i);
                sh("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "p" + i, "netns", ul);
                run(Netns.named(ul), Link.master("p" + i, "br0"), Link.up("p" + i));
                Ipv4Address ip = Ipv4Address.parse("172.31.0." + i);
                run(Netns.named(ns), Addr.add("eth0", ip, 24), Link.up("eth0"));
                sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
                Path dir = work.resolve("node" + i);
                Files.createDirectories(dir);
                nodes.add(new Node(i, ns, ip, dir));
            }
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** Namespaces left by an earlier run with this prefix (a crashed demo, say). */
    public static List<String> leftovers(String prefix) {
        String out = IpRunner.run(List.of("ip", "netns", "list"), null).stdout();
        return out.lines().map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(prefix + "-")).toList();
    }

    /** Removes namespaces left by an earlier run with this prefix, killing what still runs in them. */
    public static void cleanup(String prefix) {
        List<String> left = new ArrayList<>(leftovers(prefix));
        left.sort(Comparator.reverseOrder());
        for (String ns : left) killAll(ns);
        for (String ns : left) IpRunner.run(List.of("ip", "netns", "del", ns), null);
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
        return prefix + "-ul";
    }

    /** Gives the underlay bridge an address, so that something in {@link #underlayNetns()} serves every node. */
    public Ipv4Address addUnderlayService() {
        run(Netns.named(underlayNetns()), Addr.add("br0", UNDERLAY_SERVICE_IP, 24));
        return UNDERLAY_SERVICE_IP;
    }

    public static final Ipv4Address UNDERLAY_SERVICE_IP = Ipv4Address.parse("172.31.0.250");

    public static String nodeName(Node n) {
        return "node" + n.index();
    }

    public void agentArgs(List<String> args) {
        this.extraAgentArgs = List.copyOf(args);
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
        // A class-data archive per node, written when its first agent exits and used by the ones after: a restarted
        // agent then starts as a production one does from the launcher's AOT cache, instead of paying a cold start
        // that production does not pay (~0.4 s of a restart here).
        List<String> cmd = weftdCommand(n, "weftd.jsa");
        // every node's agent has its own debug socket: the machine's /run/weft is shared by all the namespaces
        cmd.addAll(List.of("--iface", "eth0", "--debug-socket", debugSocket(n).toString()));
        if (kubeApiUrl != null) {
            cmd.addAll(List.of("--kube-subnet-mgr", "--kube-api-url", kubeApiUrl));
        } else if (etcdUrl != null) {
            cmd.addAll(List.of("--etcd-endpoints", etcdUrl));
        } else {
            cmd.addAll(List.of("--lease-dir", leaseDir.toString()));
        }
        if (etcdUrl == null) cmd.addAll(List.of("--net-config-path", netConfFile.toString()));
        cmd.addAll(List.of("--subnet-file", n.subnetFile().toString(), "--resync-interval", "1s"));
        cmd.addAll(extraAgentArgs);
        return cmd;
    }

    /** {@code weftd} with this JVM's java and classpath inside the node's namespace; arguments follow. */
    public List<String> weftdCommand(Node n, String archive) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", n.netns(), java));
        cmd.addAll(LaunchClasspath.javaArgs(n.dir().resolve(archive)));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m", "io.weft.agent.Main"));
        return cmd;
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
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Ipv4Cidr> subnets = new ArrayList<>();
        for (Node n : nodes) subnets.add(awaitSubnetEnv(n, timeout).subnet());
        while (true) {
            boolean all = true;
            for (int i = 0; i < nodes.size(); i++) {
                List<Ipv4Cidr> have = new IpReader(nodes.get(i).ns()).routes().stream().map(RouteEntry::dst).toList();
                for (int j = 0; j < subnets.size(); j++) if (i != j && !have.contains(subnets.get(j))) all = false;
            }
            if (all) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("routes did not converge within " + timeout);
            Thread.sleep(100);
        }
    }

    public String log(Node n) {
        try {
            return Files.exists(n.log()) ? Files.readString(n.log()) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Plugs a pod into the node's cni0 the way a bridge CNI plugin does: bridge with the gateway address from
     * subnet.env, a veth pair, the pod's end as eth0 with the next free address and a default route.
     */
    public Pod addPod(Node n, String name) throws IOException {
        SubnetEnv env = SubnetEnv.read(n.subnetFile());
        Netns node = n.ns();
        if (new IpReader(node).link("cni0").isEmpty()) {
            run(node, Link.addBridge("cni0"), Link.mtu("cni0", env.mtu()),
                    Addr.add("cni0", env.subnet().firstHost(), env.subnet().prefix()), Link.up("cni0"));
        }
        long onNode = pods.stream().filter(p -> p.node().equals(n)).count();
        Ipv4Address ip = env.subnet().firstHost().plus(1 + onNode);
        String podNs = addNetns(n.netns() + "-" + name);
        String hostSide = "veth" + name;
        run(node, Link.addVeth(hostSide, "ceth0"), Link.moveTo("ceth0", Netns.named(podNs)),
                Link.mtu(hostSide, env.mtu()), Link.master(hostSide, "cni0"), Link.up(hostSide));
        run(Netns.named(podNs), Link.rename("ceth0", "eth0"), Link.mtu("eth0", env.mtu()),
                Addr.add("eth0", ip, env.subnet().prefix()), Link.up("eth0"),
                RouteEntry.via(Ipv4Cidr.parse("0.0.0.0/0"), env.subnet().firstHost(), "eth0").add());
        Pod pod = new Pod(name, podNs, ip, n);
        pods.add(pod);
        return pod;
    }

    /**
     * Makes a pod the way kubelet/containerd do: an empty namespace, then the {@code weft} CNI plugin run in
     * the node's namespace with CNI_* variables and the network config on stdin. Returns the pod with the
     * address the plugin's result gives.
     */
    public Pod addPodWithCni(Node n, String name, Path plugin) throws IOException {
        String podNs = addNetns(n.netns() + "-" + name);
        String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"subnetFile\":\""
                + n.subnetFile() + "\",\"dataDir\":\"" + n.dir().resolve("ipam") + "\",\"isDefaultGateway\":true}";
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", n.netns(), plugin.toString());
        var env = pb.environment();
        env.put("CNI_COMMAND", "ADD");
        env.put("CNI_CONTAINERID", podNs);
        env.put("CNI_NETNS", "/var/run/netns/" + podNs);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", plugin.getParent().toString());
        pb.redirectError(ProcessBuilder.Redirect.appendTo(n.dir().resolve("cni.log").toFile()));
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(conf.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the CNI plugin ran", e);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"address\"\\s*:\\s*\"([0-9.]+)/").matcher(out);
        if (code != 0 || !m.find()) {
            throw new IllegalStateException("CNI ADD for " + name + " on node " + n.index() + " failed (exit " + code + "): " + out);
        }
        Pod pod = new Pod(name, podNs, Ipv4Address.parse(m.group(1)), n);
        pods.add(pod);
        return pod;
    }

    /** Where the built {@code weft} CNI plugin is: -Dweft.cni.plugin, else beside this build tree, else /opt/cni/bin. */
    public static java.util.Optional<Path> findCniPlugin() {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("weft.cni.plugin");
        if (prop != null) candidates.add(Path.of(prop));
        String home = System.getProperty("weft.home");
        if (home != null) candidates.add(Path.of(home).resolve("../../cni-plugin/target/weft"));
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd.resolve("cni-plugin/target/weft"));
        candidates.add(cwd.resolve("../cni-plugin/target/weft"));
        candidates.add(Path.of("/opt/cni/bin/weft"));
        return candidates.stream().map(Path::normalize).filter(Files::isExecutable).findFirst();
    }

    /** Registers a pod made elsewhere (by the CNI plugin) so that close() removes its namespace. */
    public Pod adoptPod(Node n, String name, String podNs, Ipv4Address ip) {
        namespaces.add(podNs);
        Pod pod = new Pod(name, podNs, ip, n);
        pods.add(pod);
        return pod;
    }

    public String addNetns(String name) {
        sh("ip", "netns", "add", name);
        namespaces.add(name);
        sh("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    private static void run(Netns ns, io.weft.core.iproute.IpOp... ops) {
        IpBatch b = new IpBatch();
        for (var op : ops) b.add(op);
        b.apply(ns);
    }

    static String sh(String... cmd) {
        IpRunner.Result r = IpRunner.run(List.of(cmd), null);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exitCode() + ": " + r.stderr().strip());
        }
        return r.stdout();
    }

    private static void killAll(String ns) {
        String pids = IpRunner.run(List.of("ip", "netns", "pids", ns), null).stdout();
        for (String pid : pids.split("\\s+")) {
            if (!pid.isBlank()) IpRunner.run(List.of("kill", "-9", pid), null);
        }
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
        List<String> all = new ArrayList<>(namespaces);
        all.sort(Comparator.reverseOrder());
        for (String ns : all) killAll(ns);
        for (String ns : all) IpRunner.run(List.of("ip", "netns", "del", ns), null);
        namespaces.clear();
        try (Stream<Path> s = Files.walk(work)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp dir is harmless
        }
    }
}
