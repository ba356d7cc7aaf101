package io.weft.lab.bench;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft-lab bench}: the numbers in the README. Throughput and RTT pod to pod across two namespace nodes
 * through weft's kernel VXLAN backend, the same devices made by hand, and host-gw, in one run; and, for each lease
 * store, how fast one agent programs and removes thousands of peers and what it costs at idle ({@link ScaleBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure pod-to-pod throughput/RTT (weft vxlan vs hand-made vxlan vs host-gw) and convergence.")
public final class BenchCommand implements Callable<Integer> {
    static final String PREFIX = "wbench";

    @Option(names = "--seconds", defaultValue = "5", description = "iperf3 duration per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--peers", defaultValue = "5000", description = "Remote leases for the convergence run (default: ${DEFAULT-VALUE}).")
    int peers;

    @Option(names = "--stores", split = ",", defaultValue = "dir,etcd,kube",
            description = "Lease stores for the convergence run: dir, etcd, kube (default: ${DEFAULT-VALUE}).")
    List<String> stores;

    @Option(names = "--only", description = "throughput or convergence (default: both).")
    String only;

    @Option(names = "--agent-diag", paramLabel = "DIR",
            description = "Convergence run: at each RSS reading, save the agent's jcmd heap, class histogram and native memory "
                    + "(run with WEFT_JAVA_OPTS=-XX:NativeMemoryTracking=summary for the latter) and /proc status to DIR.")
    java.nio.file.Path agentDiag;

    @Option(names = "--idle", defaultValue = "30", paramLabel = "SECONDS",
            description = "Convergence run: how long the agent's idle CPU is measured, before its RSS is read (default: ${DEFAULT-VALUE}).")
    int idleSeconds;

    @Override
    public Integer call() throws Exception {
        if (!NetnsLab.isRoot()) {
            System.err.println("weft-lab bench: must run as root (network namespaces)");
            return 1;
        }
        NetnsLab.cleanup(PREFIX);
        if (!NetnsLab.onPath("iperf3") && !"convergence".equals(only)) {
            System.err.println("weft-lab bench: iperf3 is not installed (apt-get install iperf3)");
            return 1;
        }
        if (only == null || only.equals("throughput")) throughput();
        if (only == null || only.equals("convergence")) convergence();
        return 0;
    }

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds; medians are printed (default: ${DEFAULT-VALUE}).")
    int rounds;

    /** One path under test: its own two-node cluster, kept up for the whole run so rounds can interleave. */
    private record Path2(String name, LabCluster lab, LabCluster.Pod a, LabCluster.Pod b) {}

    private void throughput() throws Exception {
        List<LabCluster> labs = new ArrayList<>();
        try {
            List<Path2> paths = new ArrayList<>();
            paths.add(setUp(labs, "weft vxlan (kernel)", "k", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}", false));
            paths.add(setUp(labs, "vxlan by hand", "h", null, true));
            paths.add(setUp(labs, "weft host-gw", "g", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}", false));
            // Rounds interleave the paths so that a burst of load on this machine hits all of them alike.
            double[][][] samples = new double[paths.size()][3][rounds];
            for (int r = 0; r < rounds; r++) {
                System.out.println("round " + (r + 1) + "/" + rounds + " ...");
                for (int i = 0; i < paths.size(); i++) {
                    Path2 p = paths.get(i);
                    samples[i][0][r] = Measure.iperfGbps(p.a(), p.b(), 1, seconds);
                    samples[i][1][r] = Measure.iperfGbps(p.a(), p.b(), 4, seconds);
                    samples[i][2][r] = Measure.rttMicros(p.b(), p.a());
                }
            }
            double ref = median(samples[1][0]);
            System.out.println();
            System.out.printf("  %-22s %14s %14s %12s %10s%n", "path (2 netns nodes)", "TCP 1 stream", "TCP 4 streams", "RTT", "vs hand");
            for (int i = 0; i < paths.size(); i++) {
                System.out.printf(Locale.ROOT, "  %-22s %9.2f Gb/s %9.2f Gb/s %9.1f µs %9.2fx%n", paths.get(i).name(),
                        median(samples[i][0]), median(samples[i][1]), median(samples[i][2]), median(samples[i][0]) / ref);
            }
            System.out.println("  (medians of " + rounds + " interleaved rounds; iperf3 " + seconds + " s each, RTT = mean of 50 pings)");
            System.out.println();
        } finally {
            for (LabCluster l : labs) l.close();
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private Path2 setUp(List<LabCluster> labs, String name, String tag, String netConf, boolean byHand) throws Exception {
        System.out.println("setting up " + name + " ...");
        LabCluster lab = new LabCluster(NetnsLab.named(PREFIX + "-" + tag), 2, netConf != null ? netConf : "{\"Network\":\"10.244.0.0/16\"}");
        labs.add(lab);
        if (byHand) {
            handMadeVxlan(lab);
        } else {
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            lab.awaitConverged(Duration.ofSeconds(60));
        }
        return new Path2(name, lab, lab.addPod(lab.node(1), "a"), lab.addPod(lab.node(2), "b"));
    }

    /** The same VXLAN setup flannel/weft makes, typed by hand: the yardstick for "weft adds nothing". */
    private static void handMadeVxlan(LabCluster lab) throws Exception {
        List<LabCluster.Node> nodes = lab.nodes();
        List<MacAddress> macs = new ArrayList<>();
        for (LabCluster.Node n : nodes) {
            MacAddress mac = MacAddress.localFromSeed(1000 + n.index());
            macs.add(mac);
            Ipv4Cidr subnet = Ipv4Cidr.parse("10.244." + n.index() + ".0/24");
            new IpBatch().add(Link.addVxlan("flannel.1", 1, 8472, n.ip(), "eth0", mac, 1450))
                    .add(Addr.add("flannel.1", subnet.network(), 32)).add(Link.up("flannel.1")).apply(n.ns());
            new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), subnet, 1450, false).writeAtomically(n.subnetFile());
        }
        for (LabCluster.Node n : nodes) {
            IpBatch b = new IpBatch();
            for (LabCluster.Node p : nodes) {
                if (p == n) continue;
                Ipv4Cidr s = Ipv4Cidr.parse("10.244." + p.index() + ".0/24");
                MacAddress mac = macs.get(p.index() - 1);
                b.add(new FdbEntry(mac, "flannel.1", p.ip()).replace());
                b.add(new NeighEntry(s.network(), mac, "flannel.1").replace());
                b.add(RouteEntry.onlink(s, s.network(), "flannel.1").replace());
            }
            b.apply(n.ns());
        }
    }

    private void convergence() throws Exception {
        System.out.println("measuring convergence and idle cost with " + peers + " peers, per lease store ...");
        ScaleBench bench = new ScaleBench(PREFIX, peers, agentDiag, Duration.ofSeconds(idleSeconds));
        List<ScaleBench.Row> rows = new ArrayList<>();
        for (String s : stores) {
            rows.add(bench.run(switch (s) {
                case "dir" -> "lease directory";
                case "etcd" -> "etcd";
                case "kube" -> "stand-in API server";
                default -> throw new IllegalArgumentException("--stores: " + s + " is not dir, etcd or kube");
            }));
        }
        bench.print(rows);
    }
}
