package io.weft.lab.chaos;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.traffic.Pinger;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A three-node cluster in namespaces (the last {@code userspaceNodes} on the userspace datapath, the others on the
 * kernel's), a pod on each, every cross-node pair pinging at 100 Hz, while {@link Faults} are injected one after the
 * other in a random order (each fault once before any repeats) until {@code duration} has passed. Each fault's
 * window runs from its injection until it is repaired plus a second; a run of lost replies counts against the
 * window it begins in. The result: per fault, packets lost, the longest time a pair heard nothing, and the time to
 * recover.
 */
public final class Chaos implements AutoCloseable {
    static final int HEALTH = 9797;
    static final double INTERVAL = 0.01;
    static final String NETWORK = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"%s}}";

    /** How one kind of fault went, over all its injections. */
    public record Row(String fault, int times, long lost, double longestGap, double recoverMax) {}

    /** Settings: store "dir" or "etcd"; {@code only}: the faults whose name contains it (null: all); {@code logs}: where
     * the agents' logs are copied at the end (null: nowhere); {@code launcher}: a build's agent/target/weftd that
     * starts every agent as a node does, with its JVM options and AOT cache (null: this JVM's classes, with a
     * class-data archive per node). */
    public record Options(Duration duration, String store, int userspaceNodes, long seed, Duration etcdOutage, String prefix,
            String only, Path logs, Path launcher) {
        public Options(Duration duration, String store, int userspaceNodes, long seed, Duration etcdOutage, String prefix) {
            this(duration, store, userspaceNodes, seed, etcdOutage, prefix, null, null, null);
        }
    }

    /** A gap of a tenth of a second (10 pings) or more: which pair, when (seconds into the run), how long, under which fault. */
    public record LongGap(String pair, double at, double seconds, String fault) {}

    /** Gaps this long are listed one by one, to tell which pair lost and when. */
    static final double LONG_GAP = 0.1;

    final Options options;
    final LabCluster lab;
    final Map<Integer, Path> netConf = new LinkedHashMap<>();
    final List<Pinger> pingers = new ArrayList<>();
    final Random random;
    final List<LongGap> longGaps = new ArrayList<>();
    LabEtcd etcd;
    Path tmpfs;
    private final PrintStream out;

    public Chaos(Options options, PrintStream out) throws Exception {
        this.options = options;
        this.out = out;
        this.random = new Random(options.seed());
        this.lab = new LabCluster(NetnsLab.named(options.prefix()), 3, String.format(NETWORK, ""));
        boolean ok = false;
        try {
            setUp();
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    private void setUp() throws Exception {
        Path userspace = lab.workDir().resolve("net-conf-userspace.json");
        Files.writeString(userspace, String.format(NETWORK, ",\"Datapath\":\"userspace\""));
        for (LabCluster.Node n : lab.nodes()) netConf.put(n.index(), userspace(n) ? userspace : lab.netConf());
        if (options.store().equals("etcd")) {
            String ip = lab.addUnderlayService().toString();
            etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380);
            etcd.etcdctl(lab.underlayNetns(), "put", "/coreos.com/network/config", String.format(NETWORK, ""));
            lab.useEtcd(etcd.url().toString());
        } else {
            // a small file system of its own, so that "fill the lease directory" fills it and nothing else
            tmpfs = lab.leaseDir();
            Files.createDirectories(tmpfs);
            NetnsLab.sh("mount", "-t", "tmpfs", "-o", "size=1m", "weft-chaos", tmpfs.toString());
        }
        lab.agentArgs(List.of("--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTH)));
        if (options.launcher() != null) lab.agentLauncher(options.launcher());
        lab.resyncInterval(null); // as production runs: the kernel watch, not a fast timer, repairs entries
        for (LabCluster.Node n : lab.nodes()) start(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        List<LabCluster.Pod> pods = new ArrayList<>();
        for (LabCluster.Node n : lab.nodes()) pods.add(lab.addPod(n, "p"));
        for (LabCluster.Pod a : pods) {
            for (LabCluster.Pod b : pods) {
                if (a == b) continue;
                pingers.add(Pinger.start("n" + a.node().index() + "->n" + b.node().index(), a.netns(), b.ip().toString(), INTERVAL));
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (pingers.stream().anyMatch(p -> p.replies() < 10)) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("pods do not reach each other before any fault");
            Thread.sleep(100);
        }
    }

    boolean userspace(LabCluster.Node n) {
        return n.index() > lab.nodes().size() - options.userspaceNodes();
    }

    void start(LabCluster.Node n) throws Exception {
        lab.startAgent(n, netConf.get(n.index()));
    }

    /** Runs faults until the duration is over; returns one row per kind of fault. */
    public List<Row> run() throws Exception {
        Faults faults = new Faults(this);
        List<Faults.Fault> all = faults.applicable();
        if (options.only() != null) all = all.stream().filter(f -> f.name().contains(options.only())).toList();
        if (all.isEmpty()) throw new IllegalArgumentException("no fault's name contains " + options.only());
        List<Faults.Fault> order = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        long end = System.nanoTime() + options.duration().toNanos();
        while (System.nanoTime() < end) {
            if (order.isEmpty()) {
                order.addAll(all);
                Collections.shuffle(order, random);
            }
            Faults.Fault f = order.removeFirst();
            faults.target = "";
            double t0 = now();
            double recover = f.inject();
            Thread.sleep(1000);
            windows.add(new Window(f.name(), t0, now(), recover));
            out.printf(java.util.Locale.ROOT, "  %6.1f s  %-34s %-3s recovered in %.2f s%n", t0 - windows.getFirst().from(), f.name(),
                    faults.target, recover);
        }
        Thread.sleep(2000); // a late loss still shows
        double stop = now();
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Faults.Fault f : all) rows.put(f.name(), new Row(f.name(), 0, 0, 0, 0));
        for (Pinger p : pingers) {
            for (Pinger.Gap g : p.gaps(stop, INTERVAL)) {
                Window w = windowOf(windows, g.fromEpoch());
                String key = w == null ? "(outside any fault)" : w.fault();
                Row r = rows.getOrDefault(key, new Row(key, 0, 0, 0, 0));
                double gap = Double.isNaN(g.toEpoch()) ? stop - g.fromEpoch() : g.seconds();
                rows.put(key, new Row(key, r.times(), r.lost() + g.lost(), Math.max(r.longestGap(), gap), r.recoverMax()));
                if (gap >= LONG_GAP) longGaps.add(new LongGap(p.name(), g.fromEpoch() - windows.getFirst().from(), gap, key));
            }
        }
        for (Window w : windows) {
            Row r = rows.get(w.fault());
            rows.put(w.fault(), new Row(r.fault(), r.times() + 1, r.lost(), r.longestGap(), Math.max(r.recoverMax(), w.recover())));
        }
        List<Row> out = new ArrayList<>(rows.values());
        out.removeIf(r -> r.times() == 0 && r.lost() == 0);
        return out;
    }

    /** A fault's window: from its injection until a second after its repair. */
    record Window(String fault, double from, double to, double recover) {}

    /** How long before a window's injection a gap may begin and still be that fault's: the last reply before it. */
    static final double LEAD = 0.1;

    /**
     * The window a gap that begins at {@code gapFrom} (the last reply before it) counts against, or null. The last
     * reply before a loss comes up to a ping interval and a round trip before the injection that causes it, while the
     * window before has not ended yet (the next injection follows its quiet second at once): a gap beginning within
     * {@link #LEAD} of an injection is that fault's, not the one before, whose quiet second was over.
     */
    static Window windowOf(List<Window> windows, double gapFrom) {
        for (int i = windows.size() - 1; i >= 0; i--) {
            Window x = windows.get(i);
            if (gapFrom >= x.from() - LEAD && gapFrom < x.to()) return x;
        }
        return null;
    }

    /** The gaps of {@link #LONG_GAP} or more of the last {@link #run()}, in the order found. */
    public List<LongGap> longGaps() {
        return List.copyOf(longGaps);
    }

    /** Packets every pinger sent so far (replies plus losses). */
    long sent() {
        double stop = now();
        long n = 0;
        for (Pinger p : pingers) n += p.replies() + p.gaps(stop, INTERVAL).stream().mapToLong(Pinger.Gap::lost).sum();
        return n;
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** The table: a line per fault and the totals. */
    public static void print(List<Row> rows, long sent, PrintStream out) {
        out.println();
        out.printf("  %-36s %6s %13s %12s %16s%n", "fault", "times", "packets lost", "longest gap", "time to recover");
        long lost = 0;
        double gap = 0;
        int times = 0;
        for (Row r : rows) {
            out.printf(java.util.Locale.ROOT, "  %-36s %6d %13d %10.2f s %14.2f s%n", r.fault(), r.times(), r.lost(), r.longestGap(),
                    r.recoverMax());
            lost += r.lost();
            gap = Math.max(gap, r.longestGap());
            times += r.times();
        }
        out.printf(java.util.Locale.ROOT, "  %-36s %6d %13s %10.2f s%n", "total (" + sent + " pings sent)", times,
                lost + " (" + String.format(java.util.Locale.ROOT, "%.3f", 100.0 * lost / Math.max(1, sent)) + "%)", gap);
        out.println("  (6 pod pairs at 100 Hz; longest gap: the longest time one pair heard no reply; time to recover: from the");
        out.println("  injection until the damage is repaired, the worst of its injections)");
        out.println();
    }

    /** One line per long gap: the pair, when it began (seconds into the run), how long, and the fault's window. */
    public static void printLongGaps(List<LongGap> gaps, PrintStream out) {
        if (gaps.isEmpty()) return;
        out.println("  gaps of " + LONG_GAP + " s or more:");
        for (LongGap g : gaps.stream().sorted(java.util.Comparator.comparingDouble(LongGap::at)).toList()) {
            out.printf(java.util.Locale.ROOT, "  %6.1f s  %-8s %5.2f s  %s%n", g.at(), g.pair(), g.seconds(), g.fault());
        }
        out.println();
    }

    @Override
    public void close() {
        for (Pinger p : pingers) p.close();
        if (options.logs() != null) {
            for (LabCluster.Node n : lab.nodes()) {
                try {
                    lab.stopAgent(n);
                    Files.createDirectories(options.logs());
                    Files.copy(n.log(), options.logs().resolve("node" + n.index() + ".log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } catch (Exception e) {
                    out.println("chaos: cannot keep node " + n.index() + "'s log: " + e.getMessage());
                }
            }
        }
        lab.close();
        if (etcd != null) etcd.close();
        if (tmpfs != null) NetnsLab.run("umount", tmpfs.toString());
    }
}
