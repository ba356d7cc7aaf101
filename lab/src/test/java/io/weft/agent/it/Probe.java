package io.weft.agent.it;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpRunner;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Small helpers the cluster tests share: ping from a pod, wait for a condition. */
final class Probe {
    private Probe() {}

    static IpRunner.Result ping(LabCluster.Pod from, LabCluster.Pod to, int count) {
        return IpRunner.run(List.of("ip", "netns", "exec", from.netns(), "ping", "-c", Integer.toString(count),
                "-i", "0.2", "-W", "2", "-q", to.ip().toString()), null);
    }

    static boolean reachable(LabCluster.Pod from, LabCluster.Pod to) {
        return ping(from, to, 2).exitCode() == 0;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(100);
        }
    }
}
