package io.weft.lab.bench;

import io.weft.lab.build.BuiltArtifact;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.lab.jvm.ChildJvm;
import io.weft.lab.kube.ApiServerProcess;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.peers.EtcdPeers;
import io.weft.lab.peers.FakePeers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One weftd (kernel VXLAN, run through its launcher with the memory options a node uses, weftd's default
 * --resync-interval) whose store fills with {@code peers} leases of nodes that exist only as leases
 * ({@link FakePeers}) and empties again, once per store: a lease directory, a real etcd, the stand-in API server with
 * that many Node objects. Per store: how long after the last lease appeared every route, neighbour and FDB entry is
 * in place, how long after the last one went the table is clean, the agent's CPU at idle (its own time and its
 * children's: ip, iptables) and its resident memory, with no peer and with all of them.
 */
final class ScaleBench {
    static final String CONF = "{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"vxlan\"}}";
    static final Duration SETTLE = Duration.ofSeconds(15);

    /** One store's numbers. */
    record Row(String store, int peers, double upSeconds, double downSeconds, double cpuEmpty, double cpuFull, long rssEmptyKb,
               long rssFullKb) {}

    private final String prefix;
    private final int peers;
    private final AgentDiag diag; // null: none
    private final Duration idle;

    /** @param idle how long the agent's CPU is measured at rest, before its RSS is read */
    ScaleBench(String prefix, int peers, Path diagDir, Duration idle) {
        this.prefix = prefix;
        this.peers = peers;
        this.diag = diagDir == null ? null : new AgentDiag(diagDir);
        this.idle = idle;
    }

    Row run(String store) throws Exception {
        System.out.println("  " + store + ": one agent, " + peers + " peers appear, then go ...");
        try (LabCluster lab = new LabCluster(NetnsLab.named(prefix + "-" + store), 1, CONF); Store s = store(store, lab)) {
            lab.resyncInterval(null);
            lab.agentLauncher(launcher());
            LabCluster.Node n = lab.node(1);
            Process agent = lab.startAgent(n);
            lab.awaitSubnetEnv(n, Duration.ofSeconds(60));
            Thread.sleep(SETTLE.toMillis());
            double cpuEmpty = cpuPercent(agent.pid(), idle);
            long rssEmpty = rssKb(agent.pid());
            if (diag != null) diag.save(agent.pid(), store, "0");

            long last = s.add();
            long up = awaitCount(n, 3 * peers) - last;
            Thread.sleep(SETTLE.toMillis());
            double cpuFull = cpuPercent(agent.pid(), idle);
            long rssFull = rssKb(agent.pid());
            if (diag != null) diag.save(agent.pid(), store, Integer.toString(peers));
            long gone = s.remove();
            long down = awaitCount(n, 0) - gone;
            if (!agent.isAlive()) throw new IllegalStateException("weftd died:\n" + lab.log(n));
            return new Row(store, peers, up / 1e9, down / 1e9, cpuEmpty, cpuFull, rssEmpty, rssFull);
        }
    }

    void print(List<Row> rows) {
        System.out.println();
        System.out.printf("  %-28s %7s %13s %13s %17s %19s%n", "store (1 weftd, kernel VXLAN)", "peers", "in place", "removed",
                "idle CPU 0/all", "RSS 0/all peers");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "  %-28s %7d %11.2f s %11.2f s %7.2f%%/%6.2f%% %8.1f/%6.1f MiB%n", r.store(), r.peers(),
                    r.upSeconds(), r.downSeconds(), r.cpuEmpty(), r.cpuFull(), r.rssEmptyKb() / 1024.0, r.rssFullKb() / 1024.0);
        }
        System.out.println("  in place: after the last lease appeared, every route, neighbour and FDB entry; removed: after the");
        System.out.println("  last lease went, none left. Idle CPU: the agent's and its children's time over " + idle.toSeconds()
                + " s, % of one core.");
        System.out.println();
    }

    /** Adds and removes the peers in one store; each returns System.nanoTime() when its last change was made. */
    private interface Store extends AutoCloseable {
        long add() throws Exception;

        long remove() throws Exception;

        @Override
        default void close() {}
    }

    private Store store(String name, LabCluster lab) throws Exception {
        return switch (name) {
            case "lease directory" -> new Store() {
                final Path subnets = lab.leaseDir().resolve("subnets");
                final Path staging = Files.createDirectories(lab.workDir().resolve("staging"));

                @Override
                public long add() throws IOException {
                    List<Path> staged = new ArrayList<>();
                    for (int i = 0; i < peers; i++) {
                        Path f = staging.resolve(FakePeers.subnet(i).toKey());
                        Files.writeString(f, FakePeers.record(i).toJson());
                        staged.add(f);
                    }
                    for (Path f : staged) Files.move(f, subnets.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                    return System.nanoTime();
                }

                @Override
                public long remove() throws IOException {
                    for (int i = 0; i < peers; i++) Files.delete(subnets.resolve(FakePeers.subnet(i).toKey()));
                    return System.nanoTime();
                }
            };
            case "etcd" -> {
                String ip = lab.addUnderlayService().toString();
                LabEtcd etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380);
                etcd.etcdctl(lab.underlayNetns(), "put", "/coreos.com/network/config", CONF);
                lab.useEtcd(etcd.url().toString());
                yield new Store() {
                    @Override
                    public long add() throws Exception {
                        return load("put");
                    }

                    @Override
                    public long remove() throws Exception {
                        return load("del");
                    }

                    private long load(String verb) throws Exception {
                        Process p = new ProcessBuilder(ChildJvm.command(lab.underlayNetns(), null, List.of(), EtcdPeers.class.getName(),
                                List.of(verb, etcd.url().toString(), Integer.toString(peers), "0"))).redirectErrorStream(true).start();
                        ChildJvm.await(p, "DONE", 300);
                        p.waitFor();
                        return System.nanoTime();
                    }

                    @Override
                    public void close() {
                        etcd.close();
                    }
                };
            }
            case "stand-in API server" -> {
                String ip = lab.addUnderlayService().toString();
                ApiServerProcess api = ApiServerProcess.start(lab.underlayNetns(), ip, 6443, lab.workDir().resolve("nodes.json"),
                        List.of("-Xmx1g"));
                api.call("node node1 10.0.1.0/24");
                lab.useKubeApi(api.url());
                yield new Store() {
                    @Override
                    public long add() throws IOException {
                        api.call("peers " + peers + " 0");
                        return System.nanoTime();
                    }

                    @Override
                    public long remove() throws IOException {
                        api.call("unpeers " + peers + " 0");
                        return System.nanoTime();
                    }

                    @Override
                    public void close() {
                        api.close();
                    }
                };
            }
            default -> throw new IllegalArgumentException("no store " + name + ": lease directory, etcd or stand-in API server");
        };
    }

    /** The build's weftd launcher (see {@link BuiltArtifact}). */
    static Path launcher() {
        return BuiltArtifact.find("agent", "weftd")
                .orElseThrow(() -> new IllegalStateException("agent/target/weftd is missing: run mvn -DskipTests package first"));
    }

    /** Polls the node's flannel.1 entries until there are {@code want}; returns System.nanoTime() then. */
    static long awaitCount(LabCluster.Node n, int want) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (LabCluster.overlayCount(n) == want) return System.nanoTime();
            Thread.sleep(50);
        }
        throw new IllegalStateException("node " + n.index() + " did not reach " + want + " entries in 5 minutes (has " + LabCluster.overlayCount(n) + ")");
    }

    /** The process's and its waited-for children's CPU time over {@code d}, in % of one core. */
    static double cpuPercent(long pid, Duration d) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long c0 = cpuTicks(pid);
        Thread.sleep(d.toMillis());
        long c1 = cpuTicks(pid);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return 100.0 * (c1 - c0) / 100.0 / seconds; // USER_HZ is 100 on Linux
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the command name
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    static long rssKb(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        }
        return -1;
    }
}
