package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpReader;
import io.weft.core.lease.LeaseRecord;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole agent over the userspace datapath: node 1 runs weftd with the kernel VXLAN backend, node 2 runs
 * weftd with {@code "Datapath": "userspace"}; they share a lease directory. Leases look alike (BackendType
 * vxlan, VNI, VtepMAC), pods ping both ways, and restarting node 2's agent keeps its VtepMAC, leaves one TAP
 * and brings traffic back within 2 s.
 */
@Timeout(180)
class UserspaceAgentTest {
    @Test
    void kernelAndUserspaceAgentsFormOneCluster() throws Exception {
        try (LabCluster lab = new LabCluster("wt-ua", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            Path usConf = userspaceConf(lab);
            LabCluster.Node k = lab.node(1);
            LabCluster.Node u = lab.node(2);
            lab.startAgent(k);
            Process us = startUserspace(lab, u, usConf);
            lab.awaitSubnetEnv(k, Duration.ofSeconds(60));
            var env = lab.awaitSubnetEnv(u, Duration.ofSeconds(60));
            assertEquals(1450, env.mtu(), "FLANNEL_MTU = underlay 1500 - 50");
            lab.awaitConverged(Duration.ofSeconds(30));
            var link = new IpReader(u.ns()).link("flannel.1").orElseThrow();
            assertEquals("tun", link.kind(), "the userspace node's VTEP is a TAP");
            LeaseRecord lease = LeaseRecord.parse(Files.readString(lab.leaseDir().resolve("subnets").resolve(env.subnet().toKey())));
            assertEquals("vxlan", lease.backendType());
            assertEquals(1, lease.vni());
            assertEquals(link.mac(), lease.vtepMac(), "VtepMAC in the lease is the TAP's MAC");

            var pa = lab.addPod(k, "a");
            var pb = lab.addPod(u, "b");
            assertTrue(ping(pa.netns(), pb.ip().toString()), "kernel-node pod -> userspace-node pod");
            assertTrue(ping(pb.netns(), pa.ip().toString()), "userspace-node pod -> kernel-node pod");

            us.destroy();
            assertEquals(143, us.waitFor(), "weftd exits on SIGTERM");
            assertTrue(new IpReader(u.ns()).link("flannel.1").isPresent(), "the TAP stays for the next run (persistent)");
            long t0 = System.nanoTime();
            us = startUserspace(lab, u, usConf);
            boolean back = false;
            while (System.nanoTime() - t0 < 15_000_000_000L) {
                if (NetnsLab.run("ip", "netns", "exec", pa.netns(), "ping", "-c", "1", "-W", "0.05", pb.ip().toString())
                        .exitCode() == 0) {
                    back = true;
                    break;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("userspace weftd restart: pod traffic back " + ms + " ms after the new agent was launched");
            assertTrue(back, "traffic never came back after restarting the userspace agent:\n" + lab.log(u));
            assertEquals(link.mac(), new IpReader(u.ns()).link("flannel.1").orElseThrow().mac(), "same VtepMAC after restart");
            assertEquals(1, NetnsLab.run("ip", "-n", u.netns(), "-o", "link", "show", "type", "tun").stdout().lines().count());
            us.destroy();
            us.waitFor();
        }
    }

    /** The lab's network with {@code "Datapath": "userspace"}, as a second net-conf.json for the userspace node. */
    static Path userspaceConf(LabCluster lab) throws java.io.IOException {
        Path f = lab.workDir().resolve("net-conf-userspace.json");
        Files.writeString(f, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}");
        return f;
    }

    /** weftd itself (io.weft.agent.Main) with the userspace net-conf.json. */
    static Process startUserspace(LabCluster lab, LabCluster.Node n, Path conf) throws Exception {
        return new ProcessBuilder(lab.agentCommand(n, conf)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile())).start();
    }

    static boolean ping(String ns, String ip) {
        return NetnsLab.run("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip).exitCode() == 0;
    }
}
