package io.weft.lab.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The short CI variant of {@code weft-lab chaos}: every fault of the list at least once, in a random order with a
 * fixed seed, on three namespace nodes (two on the kernel datapath, one on the userspace datapath) whose pods ping
 * every cross-node pair at 100 Hz. Each fault must be repaired (the run fails otherwise). Bounds, from issue 15's
 * goals where runs on this 2-core machine meet them: a kernel node's agent killed or restarted costs no pair more than
 * half a second (the goal is nothing; runs one kind at a time lose nothing); a hand-deleted device, route, neighbour or
 * FDB entry no more than a second; a userspace node's restart no more than 5 s (the goal is 1 s; runs take 1.0-1.5 s).
 * The kernel restart and the deleted route were unbounded while a gap that began just before an injection counted
 * against the fault before ({@link ChaosWindowTest}).
 */
class ChaosTest {

    @Test
    void everyFaultIsRepairedWithinTheGoalsThisMachineMeets() throws Exception {
        NetnsLab.requireRoot();
        NetnsLab.cleanup("wchtest");
        List<Chaos.Row> rows;
        long sent;
        try (Chaos chaos = new Chaos(new Chaos.Options(Duration.ofSeconds(50), "dir", 1, 15L, Duration.ofSeconds(5), "wchtest"),
                System.out)) {
            rows = chaos.run();
            sent = chaos.sent();
            Chaos.print(rows, sent, System.out);
        }
        Map<String, Chaos.Row> byFault = rows.stream().collect(Collectors.toMap(Chaos.Row::fault, Function.identity()));
        String table = rows.toString();
        for (String f : List.of("kill -9 an agent (kernel node)", "restart an agent (kernel node)", "kill -9 an agent (userspace node)",
                "restart an agent (userspace node)", "flood the userspace port with junk", "delete flannel.1 (kernel node)",
                "delete a route", "delete a neighbour", "delete an FDB entry", "corrupt a lease", "fill the lease directory + restart")) {
            assertTrue(byFault.containsKey(f) && byFault.get(f).times() > 0, "every fault injected at least once: " + f + "\n" + table);
        }
        for (String f : List.of("delete flannel.1 (kernel node)", "delete a route", "delete a neighbour", "delete an FDB entry")) {
            assertTrue(byFault.get(f).longestGap() <= 1.0, f + " costs at most a second: " + table);
        }
        for (String f : List.of("kill -9 an agent (kernel node)", "restart an agent (kernel node)")) {
            assertTrue(byFault.get(f).longestGap() <= 0.5, f + ": " + table);
        }
        for (String f : List.of("kill -9 an agent (userspace node)", "restart an agent (userspace node)")) {
            assertTrue(byFault.get(f).longestGap() <= 5.0, f + " costs at most 5 s: " + table);
        }
    }
}
