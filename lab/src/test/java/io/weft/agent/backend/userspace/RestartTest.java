package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.netns.NetnsLab;
import io.weft.lab.overlay.Overlay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The userspace node's agent stops and starts again: its TAP goes with the old process (nothing stale left
 * to swallow traffic), and pod traffic resumes within 2 s of the new process starting.
 */
@Timeout(120)
class RestartTest {
    @Test
    void trafficResumesWithinTwoSecondsAndNoTapIsLeft() throws Exception {
        try (Overlay o = new Overlay("wrs", 2)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, 1);
            assertTrue(o.ping(1, 2, 2, 56));
            for (int round = 0; round < 2; round++) {
                o.stopUserspace(2);
                assertTrue(NetnsLab.run("ip", "-n", o.node(2), "link", "show", "flannel.1").exitCode() != 0,
                        "TAP flannel.1 left behind after the agent stopped");
                long t0 = System.nanoTime();
                Thread starter = Thread.ofVirtual().start(() -> {
                    try {
                        o.userspaceVtep(2, true, 1);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                boolean ok = false;
                while (System.nanoTime() - t0 < 10_000_000_000L) {
                    var r = NetnsLab.run("ip", "netns", "exec", o.pod(1), "ping", "-c", "1", "-W", "0.05",
                            Overlay.podIp(2).toString());
                    if (r.exitCode() == 0) {
                        ok = true;
                        break;
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                starter.join();
                assertTrue(ok, "no traffic after restart");
                System.out.println("restart " + round + ": traffic resumed " + ms + " ms after the new agent was launched");
                String links = NetnsLab.run("ip", "-n", o.node(2), "-o", "link", "show", "type", "tun").stdout();
                assertEquals(1, links.lines().count(), "exactly one TAP after restart:\n" + links);
            }
        }
    }
}
