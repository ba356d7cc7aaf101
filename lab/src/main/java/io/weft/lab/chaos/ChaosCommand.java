package io.weft.lab.chaos;

import io.weft.agent.cli.DurationConverter;
import io.weft.lab.build.BuiltArtifact;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weft-lab chaos}: faults injected at random into a pinging three-node cluster, and what each cost ({@link Chaos}). */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Inject faults at random into a 3-node cluster whose pods ping every cross-node pair at 100 Hz; print "
                + "per fault the packets lost, the longest gap and the time to recover.")
public final class ChaosCommand implements Callable<Integer> {
    static final String PREFIX = "wchaos";

    @Option(names = "--duration", defaultValue = "120s", converter = DurationConverter.class,
            description = "How long faults are injected (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--store", defaultValue = "dir", description = "Lease store: dir (a lease directory on a small file "
            + "system of its own) or etcd (a real etcd) (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--userspace-nodes", defaultValue = "1", description = "Nodes (of 3) on the userspace datapath (default: ${DEFAULT-VALUE}).")
    int userspaceNodes;

    @Option(names = "--etcd-outage", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long etcd stays down (default: ${DEFAULT-VALUE}).")
    Duration etcdOutage;

    @Option(names = "--only", description = "Inject only the faults whose name contains this text, e.g. 'restart an agent (kernel'.")
    String only;

    @Option(names = "--logs", description = "Copy the agents' logs into this directory at the end (node1.log ...).")
    Path logs;

    @Option(names = "--launcher", description = "Start the agents with this weftd launcher, as nodes do (its JVM options "
            + "and AOT cache); default: the build's agent/target/weftd. 'none': on this JVM's classes.")
    String launcher;

    @Option(names = "--seed", description = "Seed of the fault order (default: the time).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        if (!NetnsLab.isRoot()) {
            System.err.println("weft-lab chaos: must run as root (network namespaces)");
            return 1;
        }
        if (!List.of("dir", "etcd").contains(store)) {
            System.err.println("weft-lab chaos: --store " + store + ": give dir or etcd");
            return 1;
        }
        NetnsLab.cleanup(PREFIX);
        long s = seed != null ? seed : System.currentTimeMillis();
        System.out.println("chaos: " + duration.toSeconds() + " s of faults, store " + store + ", " + userspaceNodes
                + " of 3 nodes on the userspace datapath, seed " + s);
        Path weftd = "none".equals(launcher) ? null : launcher != null ? Path.of(launcher).toAbsolutePath()
                : BuiltArtifact.find("agent", "weftd").orElseThrow(() -> new IllegalStateException(
                        "agent/target/weftd is missing: run mvn -DskipTests package first, or give --launcher none"));
        System.out.println("agents started " + (weftd == null ? "on this JVM's classes" : "by " + weftd));
        try (Chaos chaos = new Chaos(new Chaos.Options(duration, store, userspaceNodes, s, etcdOutage, PREFIX, only, logs, weftd),
                System.out)) {
            List<Chaos.Row> rows = chaos.run();
            Chaos.print(rows, chaos.sent(), System.out);
            Chaos.printLongGaps(chaos.longGaps(), System.out);
        }
        return 0;
    }
}
