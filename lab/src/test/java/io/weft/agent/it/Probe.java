package io.weft.agent.it;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpRunner;
import java.time.Duration;
import java.util.List;

/** Small helpers the cluster tests share: ping from a pod, wait for a condition. */
final class Probe {
    private Probe() {}

    static IpRunner.Result ping(LabCluster.Pod from, LabCluster.Pod to, int count) {
        return IpRunner.run(List.of("ip", "netns", "exec", from.netns(), "ping", "-c", Integer.toString(count),
                "-i", "0.2", "-W", "2", "-q", to.ip().toString()), null);
    }

    /** The same over IPv6, to the pod's IPv6 address. */
    static IpRunner.Result ping6(LabCluster.Pod from, LabCluster.Pod to, int count) {
        return IpRunner.run(List.of("ip", "netns", "exec", from.netns(), "ping", "-6", "-c", Integer.toString(count),
                "-i", "0.2", "-W", "2", "-q", to.ip6().toString()), null);
    }

    /** Every pod answers every pod on another node, over IPv4 and, with {@code v6}, over IPv6 too. */
    static void assertCrossNodePairsAnswer(List<LabCluster.Pod> pods, boolean v6) {
        for (LabCluster.Pod a : pods) {
            for (LabCluster.Pod b : pods) {
                if (a.node() == b.node()) continue;
                IpRunner.Result r = ping(a, b, 2);
                if (r.exitCode() != 0) throw new AssertionError(a.name() + "@n" + a.node().index() + " -> " + b.ip() + ": " + r.stdout());
                if (!v6) continue;
                IpRunner.Result r6 = ping6(a, b, 2);
                if (r6.exitCode() != 0) throw new AssertionError(a.name() + "@n" + a.node().index() + " -> " + b.ip6() + ": " + r6.stdout());
            }
        }
    }

    static boolean reachable(LabCluster.Pod from, LabCluster.Pod to) {
        return ping(from, to, 2).exitCode() == 0;
    }

    /**
     * Pings {@code to} from {@code from} 400 times, 10 ms apart, while the agent on {@code n} is stopped with SIGTERM
     * and started again; returns ping's summary once the restarted agent has reported ready and ping is done.
     */
    static String pingAcrossRestart(LabCluster lab, LabCluster.Node n, LabCluster.Pod from, String to) throws Exception {
        long logBefore = java.nio.file.Files.size(n.log());
        Process ping = new ProcessBuilder("ip", "netns", "exec", from.netns(), "ping", "-c", "400", "-i", "0.01", "-W", "1",
                "-q", to).redirectErrorStream(true).start();
        Thread.sleep(300);
        int exit = lab.stopAgent(n);
        if (exit != 143) throw new AssertionError("weftd exits on SIGTERM with 143 (128 + 15), not " + exit);
        lab.startAgent(n);
        await("the restarted agent to report ready", Duration.ofSeconds(30),
                () -> lab.log(n).substring((int) logBefore).contains("ready:"));
        String out = new String(ping.getInputStream().readAllBytes());
        ping.waitFor();
        return out;
    }

    /** A condition to wait for; one that throws does not hold yet. */
    interface Condition {
        boolean holds() throws Exception;
    }

    static void await(String what, Duration timeout, Condition condition) throws InterruptedException {
        await(what, timeout, condition, () -> "");
    }

    /** As above; on a timeout the message ends with {@code context} (e.g. the agents' logs). */
    static void await(String what, Duration timeout, Condition condition, java.util.function.Supplier<String> context)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!holds(condition)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "\n" + context.get());
            }
            Thread.sleep(100);
        }
    }

    private static boolean holds(Condition c) {
        try {
            return c.holds();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }
}
