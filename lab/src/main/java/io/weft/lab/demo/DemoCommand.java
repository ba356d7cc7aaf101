package io.weft.lab.demo;

import io.weft.agent.debug.TestPki;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.LinkInfo;
import io.weft.lab.bench.Measure;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.cni.PluginRunner;
import io.weft.lab.etcd.LabEtcd;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weft-lab demo} (run-demo.sh): a whole cluster in network namespaces on this machine, pinged end to end, then removed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build an N-node weft cluster in network namespaces, ping every pod pair across nodes, measure, clean up.")
public final class DemoCommand implements Callable<Integer> {
    static final String PREFIX = "wdemo";
    /** ping -q's summary: min/avg/max (a userspace datapath's first packets, before the JIT, raise max and avg). */
    private static final Pattern RTT = Pattern.compile("= ([\\d.]+)/([\\d.]+)/([\\d.]+)/");

    @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
    int nodeCount;

    @Option(names = "--pods", defaultValue = "2", description = "Pods per node (default: ${DEFAULT-VALUE}).")
    int podsPerNode;

    @Option(names = "--backend", defaultValue = "vxlan", description = "vxlan, host-gw or userspace (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--store", defaultValue = "dir", description = "Where the agents keep leases: dir (a shared directory) or "
            + "etcd (a real etcd in the underlay namespace, config stored in it as flannel's is) (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--cleanup", description = "Only remove what an earlier, interrupted demo left behind.")
    boolean cleanupOnly;

    @Option(names = "--no-iperf", description = "Skip the iperf3 throughput run.")
    boolean noIperf;

    @Option(names = "--dual-stack", description = "IPv4 and IPv6 (EnableIPv6, IPv6Network fd00:10:244::/56): an IPv6 underlay "
            + "beside the IPv4 one, flannel-v6.1 beside flannel.1 (vxlan), each pod an address of each family; pings both.")
    boolean dualStack;

    @Option(names = "--ipv6-only", description = "IPv6 only (EnableIPv4 false): an underlay without IPv4, flannel-v6.1 alone.")
    boolean ipv6Only;

    /** The IPv6 fields of net-conf.json for --dual-stack and --ipv6-only. */
    static final String IPV6_FIELDS = "\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",";

    @Override
    public Integer call() throws Exception {
        if (!NetnsLab.isRoot()) {
            System.err.println("weft-lab demo: must run as root: it creates network namespaces, veths and VXLAN devices");
            return 1;
        }
        if (cleanupOnly) {
            List<String> left = NetnsLab.leftovers(PREFIX);
            NetnsLab.cleanup(PREFIX);
            System.out.println("removed " + left.size() + " namespaces left by an earlier demo");
            return 0;
        }
        List<String> left = NetnsLab.leftovers(PREFIX);
        if (!left.isEmpty()) {
            System.err.println("weft-lab demo: an earlier demo left namespaces behind (" + String.join(", ", left)
                    + "); remove them with: run-demo.sh --cleanup");
            return 1;
        }
        if (nodeCount < 2 || nodeCount > 20) {
            System.err.println("weft-lab demo: --nodes must be between 2 and 20");
            return 1;
        }
        String families = ipv6Only ? "\"EnableIPv4\":false," + IPV6_FIELDS
                : "\"Network\":\"10.244.0.0/16\"," + (dualStack ? IPV6_FIELDS : "");
        String netConf = switch (backend) {
            case "vxlan" -> "{" + families + "\"Backend\":{\"Type\":\"vxlan\"}}";
            case "host-gw" -> "{" + families + "\"Backend\":{\"Type\":\"host-gw\"}}";
            case "userspace" -> "{" + families + "\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}";
            default -> null;
        };
        if (netConf == null) {
            System.err.println("weft-lab demo: --backend must be vxlan, host-gw or userspace");
            return 1;
        }
        if (dualStack && ipv6Only) {
            System.err.println("weft-lab demo: --dual-stack and --ipv6-only exclude each other; give one");
            return 1;
        }

        if (!store.equals("dir") && !store.equals("etcd")) {
            System.err.println("weft-lab demo: --store must be dir or etcd");
            return 1;
        }

        long t0 = System.nanoTime();
        step(1, "creating " + nodeCount + " nodes (network namespaces " + PREFIX + "-n1.." + PREFIX + "-n" + nodeCount
                + " on an underlay bridge, " + (ipv6Only ? "fd00:31::/64" : dualStack ? "172.31.0.0/24 and fd00:31::/64"
                : "172.31.0.0/24") + ")");
        try (LabCluster lab = new LabCluster(NetnsLab.named(PREFIX), nodeCount, netConf);
             TestPki pki = new TestPki()) {
            if (dualStack || ipv6Only) lab.ipv6Underlay(ipv6Only);
            // each agent serves its debug API to holders of the demo CA's certificates, so that the closing trace
            // asks both nodes, as an operator's would
            lab.agentArgs(List.of("--debug-listen", "0.0.0.0:10268", "--debug-tls-cert-file", pki.file("server.pem").toString(),
                    "--debug-tls-key-file", pki.file("server.key").toString(), "--debug-client-ca-file",
                    pki.file("ca.pem").toString()));
            Thread hook = new Thread(() -> {
                System.err.println("\ninterrupted: removing the demo cluster");
                lab.close();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            LabEtcd etcd = null;
            try {
                if (store.equals("etcd")) etcd = startEtcd(lab, netConf);
                return run(lab, pki, t0);
            } finally {
                if (etcd != null) etcd.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook does the cleanup
                }
                step(8, "removing the cluster (namespaces, devices, agents)");
            }
        }
    }

    private int run(LabCluster lab, TestPki pki, long t0) throws Exception {
        step(2, "starting weftd on every node (backend " + backend + ", leases in "
                + (store.equals("etcd") ? "etcd" : lab.leaseDir().toString()) + ")");
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        for (LabCluster.Node n : lab.nodes()) lab.awaitSubnetEnv(n, Duration.ofSeconds(60));
        step(3, "waiting for every node to have a route to every other node's subnet");
        lab.awaitConverged(Duration.ofSeconds(30));

        System.out.println();
        System.out.printf("  %-6s %-13s %-22s %-14s %-6s %s%n", "NODE", "UNDERLAY", "POD SUBNET", "DEVICE", "MTU", "VTEP MAC");
        for (LabCluster.Node n : lab.nodes()) {
            SubnetEnv env = SubnetEnv.read(n.subnetFile());
            if (env.subnet() != null) row(n, n.ip().toString(), env.subnet().toString(), "flannel.1");
            if (env.ipv6Subnet() != null) row(n, n.ipv6().toString(), env.ipv6Subnet().toString(), "flannel-v6.1");
        }
        System.out.println();

        // the pods of an IPv6 demo are plugged by hand, an address of each family, as the bridge plugin would
        boolean v6 = dualStack || ipv6Only;
        java.util.Optional<Path> plugin = v6 ? java.util.Optional.empty() : PluginRunner.find();
        step(4, "creating " + podsPerNode + " pods per node " + plugin.map(p -> "with the weft CNI plugin (" + p + ")")
                .orElse(v6 ? "by hand, an address of each family" : "by hand (the weft CNI plugin is not built: mvn -DskipTests package)"));
        for (LabCluster.Node n : lab.nodes()) {
            for (int p = 1; p <= podsPerNode; p++) {
                if (plugin.isPresent()) lab.addPodWithCni(n, "pod" + p, plugin.get());
                else lab.addPod(n, "pod" + p);
            }
        }
        List<LabCluster.Pod> pods = lab.pods();

        step(5, "pinging every pod pair across nodes");
        List<LabCluster.Pod[]> pairs = new ArrayList<>();
        for (LabCluster.Pod a : pods) for (LabCluster.Pod b : pods) if (a.node() != b.node()) pairs.add(new LabCluster.Pod[] {a, b});
        List<String> results = new ArrayList<>();
        int ok = 0;
        try (ExecutorService ex = Executors.newFixedThreadPool(8)) {
            List<Future<String>> fs = new ArrayList<>();
            for (LabCluster.Pod[] pair : pairs) {
                if (pair[0].ip() != null) fs.add(ex.submit(() -> ping(pair[0], pair[1], false)));
                if (pair[0].ip6() != null) fs.add(ex.submit(() -> ping(pair[0], pair[1], true)));
            }
            for (Future<String> f : fs) results.add(f.get());
        }
        System.out.println();
        System.out.printf("  %-30s %-30s %s%n", "FROM", "TO", "RESULT");
        int i = 0;
        for (LabCluster.Pod[] pair : pairs) {
            for (boolean six : new boolean[] {false, true}) {
                LabCluster.Pod a = pair[0];
                LabCluster.Pod b = pair[1];
                if (six ? a.ip6() == null : a.ip() == null) continue;
                String r = results.get(i++);
                if (!r.startsWith("FAIL")) ok++;
                System.out.printf("  %-30s %-30s %s%n", "n" + a.node().index() + "/" + a.name() + " " + (six ? a.ip6() : a.ip()),
                        "n" + b.node().index() + "/" + b.name() + " " + (six ? b.ip6() : b.ip()), r);
            }
        }
        System.out.println();
        System.out.println("  " + ok + "/" + results.size() + " cross-node pod pings answered"
                + (dualStack ? " (each pair over IPv4 and IPv6)" : ""));
        System.out.println();

        if (noIperf || ipv6Only) {
            step(6, "iperf3 skipped (" + (noIperf ? "--no-iperf" : "--ipv6-only") + ")");
        } else if (!NetnsLab.onPath("iperf3")) {
            step(6, "iperf3 is not installed: throughput skipped (apt-get install iperf3)");
        } else {
            LabCluster.Pod server = pods.getFirst();
            LabCluster.Pod client = pods.stream().filter(p -> p.node() != server.node()).findFirst().orElseThrow();
            step(6, "iperf3 TCP, 3 s: n" + client.node().index() + "/" + client.name() + " -> n"
                    + server.node().index() + "/" + server.name());
            try {
                System.out.printf(Locale.ROOT, "  %.2f Gbit/s%n", Measure.iperfGbps(server, client, 1, 3));
            } catch (IllegalStateException e) {
                System.out.println("  " + e.getMessage());
            }
        }
        LabCluster.Pod from = pods.getFirst();
        LabCluster.Pod to = pods.stream().filter(p -> p.node() != from.node()).findFirst().orElseThrow();
        if (ipv6Only) {
            step(7, "weftd trace follows IPv4 packets: skipped with --ipv6-only");
            System.out.printf("%n  done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return ok == results.size() ? 0 : 2;
        }
        step(7, "tracing one cross-node ping hop by hop, on both nodes: weftd trace " + from.ip() + " " + to.ip()
                + " (on n" + from.node().index() + ")");
        System.out.println();
        List<String> trace = List.of("trace", from.ip().toString(), to.ip().toString(), "--agent",
                lab.debugSocket(from.node()).toString(), "--cert", pki.file("client.pem").toString(), "--key",
                pki.file("client.key").toString(), "--cacert", pki.file("ca.pem").toString());
        Process p = new ProcessBuilder(lab.weftdCommand(from.node(), "cli.jsa", trace)).redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            out.lines().forEach(l -> System.out.println("  " + l));
        }
        p.waitFor();
        System.out.printf("%n  done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return ok == results.size() ? 0 : 2;
    }

    private static void row(LabCluster.Node n, String underlay, String subnet, String device) {
        LinkInfo dev = new IpReader(n.ns()).link(device).orElse(null);
        System.out.printf("  %-6s %-13s %-22s %-14s %-6d %s%n", "n" + n.index(), underlay, subnet,
                dev == null ? "-" : dev.name(), dev == null ? 0 : dev.mtu(), dev == null || dev.mac() == null ? "-" : dev.mac());
    }

    static String ping(LabCluster.Pod a, LabCluster.Pod b, boolean six) {
        IpRunner.Result r = IpRunner.run(List.of("ip", "netns", "exec", a.netns(), "ping", six ? "-6" : "-4", "-c", "3", "-i",
                "0.2", "-W", "2", "-q", (six ? b.ip6() : b.ip()).toString()), null);
        if (r.exitCode() != 0) return "FAIL (" + r.stdout().lines().filter(l -> l.contains("packet loss")).findFirst().orElse(r.stderr().strip()) + ")";
        Matcher m = RTT.matcher(r.stdout());
        return m.find() ? "ok, rtt " + m.group(1) + "/" + m.group(2) + "/" + m.group(3) + " ms (min/avg/max of 3)" : "ok";
    }

    /** etcd on the underlay bridge (172.31.0.250), the network config stored at flannel's key, agents pointed at it. */
    private static LabEtcd startEtcd(LabCluster lab, String netConf) throws Exception {
        String ip = lab.addUnderlayService().toString();
        LabEtcd etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380);
        // the demo's own process is outside the namespace: store the config through etcdctl inside it
        String key = io.weft.agent.subnet.etcd.EtcdSubnetManager.DEFAULT_PREFIX + "/config";
        etcd.etcdctl(lab.underlayNetns(), "put", key, netConf);
        lab.useEtcd(etcd.url().toString());
        System.out.println("  etcd " + etcd.url() + " in " + lab.underlayNetns() + ", config at " + key);
        return etcd;
    }

    private static void step(int i, String what) {
        System.out.println("[" + i + "/8] " + what);
        System.out.flush();
    }
}
