package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.overlay.Overlay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The userspace node's agent stops and starts again: its TAP stays while it is away (persistent, carrier off), with
 * its routes and permanent neighbours, and the new process attaches to that same device instead of making another
 * (nothing for the kernel to relearn); pod traffic resumes within 10 s of the new process starting (the time is
 * printed; bench/README.md has the restart gaps measured by {@code weft-lab chaos}).
 */
@Timeout(120)
class RestartTest {
    @Test
    void theTapStaysWithItsRoutesAndTheNextRunAttachesToIt() throws Exception {
        try (Overlay o = new Overlay("wrs", 2)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, 1);
            assertTrue(o.ping(1, 2, 2, 56));
            IpReader reader = new IpReader(Netns.named(o.node(2)));
            int index = reader.link("flannel.1").orElseThrow().index();
            String routes = NetnsLab.run("ip", "-n", o.node(2), "-4", "route", "show", "dev", "flannel.1").stdout();
            String neighbours = NetnsLab.run("ip", "-n", o.node(2), "-4", "neigh", "show", "dev", "flannel.1", "nud", "permanent").stdout();
            assertFalse(routes.isBlank() || neighbours.isBlank(), routes + neighbours);
            for (int round = 0; round < 2; round++) {
                o.stopUserspace(2);
                String link = NetnsLab.run("ip", "-n", o.node(2), "link", "show", "flannel.1").stdout();
                assertTrue(link.contains("NO-CARRIER"), "the TAP stays, its carrier off, while no agent holds it: " + link);
                assertEquals(routes.replace(" linkdown", ""), NetnsLab.run("ip", "-n", o.node(2), "-4", "route", "show", "dev", "flannel.1")
                        .stdout().replace(" linkdown", ""), "its routes stay");
                assertEquals(neighbours, NetnsLab.run("ip", "-n", o.node(2), "-4", "neigh", "show", "dev", "flannel.1", "nud", "permanent")
                        .stdout(), "its permanent neighbours stay");
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
                assertEquals(index, reader.link("flannel.1").orElseThrow().index(), "the same device, attached to again");
                assertEquals(neighbours, NetnsLab.run("ip", "-n", o.node(2), "-4", "neigh", "show", "dev", "flannel.1", "nud", "permanent")
                        .stdout(), "its permanent neighbours kept (setting the same MAC again would flush them)");
            }
        }
    }
}
