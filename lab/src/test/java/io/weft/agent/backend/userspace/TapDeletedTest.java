package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Someone deletes the userspace node's TAP by hand ({@code ip link del flannel.1}) while weftd runs (the
 * real {@code io.weft.agent.Main}, "Datapath": "userspace"): the agent notices on its next resync, opens the
 * TAP again with the same VtepMAC (so the other nodes' neighbour and FDB entries stay right), puts its address
 * and the routes back, and pod traffic across nodes flows again, without a restart.
 */
@Timeout(180)
class TapDeletedTest {
    @Test
    void aDeletedTapComesBackWithTheSameMacAndTrafficResumes() throws Exception {
        try (LabCluster lab = new LabCluster("wt-td", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            Path usConf = UserspaceAgentTest.userspaceConf(lab);
            LabCluster.Node k = lab.node(1);
            LabCluster.Node u = lab.node(2);
            lab.startAgent(k);
            lab.startAgent(u, usConf);
            var kEnv = lab.awaitSubnetEnv(k, Duration.ofSeconds(60));
            lab.awaitConverged(Duration.ofSeconds(30));
            var pa = lab.addPod(k, "a");
            var pb = lab.addPod(u, "b");
            assertTrue(ping(pa.netns(), pb.ip().toString(), 3), "before: kernel-node pod -> userspace-node pod\n" + lab.log(u));
            var before = new IpReader(u.ns()).link("flannel.1").orElseThrow();
            assertEquals("tun", before.kind());
            MacAddress mac = before.mac();

            NetnsLab.exec(u.netns(), "ip", "link", "del", "flannel.1");
            // the agent's kernel watch may have made it again already: then it is another device, with another index
            var gone = new IpReader(u.ns()).link("flannel.1");
            assertTrue(gone.isEmpty() || gone.get().index() != before.index(), "the TAP was deleted: " + gone);

            long t0 = System.nanoTime();
            boolean back = false;
            while (System.nanoTime() - t0 < 20_000_000_000L) {
                if (ping(pa.netns(), pb.ip().toString(), 1)) {
                    back = true;
                    break;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("deleted TAP: pod traffic back after " + ms + " ms (agent resync interval 1 s)");
            assertTrue(back, () -> "traffic never came back after the TAP was deleted:\n" + lab.log(u) + threadDump(lab.agent(u))
                    + "\nUDP sockets in the node:\n" + NetnsLab.run("ip", "netns", "exec", u.netns(), "ss", "-uanpe").stdout());
            assertTrue(ping(pb.netns(), pa.ip().toString(), 3), "after: userspace-node pod -> kernel-node pod");
            var after = new IpReader(u.ns()).link("flannel.1").orElseThrow();
            assertEquals("tun", after.kind(), "the VTEP is weft's TAP again");
            assertEquals(mac, after.mac(), "same VtepMAC: the other nodes' neighbour and FDB entries stay valid");
            assertTrue(new IpReader(u.ns()).routes().stream().map(RouteEntry::dst).anyMatch(kEnv.subnet()::equals),
                    "route to the kernel node's subnet is back");
            assertEquals(1, NetnsLab.run("ip", "-n", u.netns(), "-o", "link", "show", "type", "tun").stdout().lines().count(),
                    "exactly one TAP");
            assertTrue(lab.agent(u).isAlive(), "the agent kept running");
            assertTrue(lab.log(u).contains("went away") && lab.log(u).contains("reopening"), "the agent says what it did:\n" + lab.log(u));
        }
    }

    /** The agent's threads, for a failure message: where it is stuck if it is. */
    static String threadDump(Process agent) {
        if (agent == null || !agent.isAlive()) return "\n(agent not running" + (agent == null ? ")" : ", exit " + agent.exitValue() + ")");
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        return "\nthreads of the agent:\n" + NetnsLab.run(jcmd, Long.toString(agent.pid()), "Thread.print").stdout();
    }

    static boolean ping(String ns, String ip, int count) {
        return NetnsLab.run("ip", "netns", "exec", ns, "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", ip)
                .exitCode() == 0;
    }
}
