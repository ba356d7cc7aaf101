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

    static boolean reachable(LabCluster.Pod from, LabCluster.Pod to) {
        return ping(from, to, 2).exitCode() == 0;
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
