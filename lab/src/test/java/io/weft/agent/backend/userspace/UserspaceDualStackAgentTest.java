package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.subnet.Lease;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.lease.LeaseRecord;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * weftd itself on a dual-stack cluster with both datapaths: node 1 runs the kernel VXLAN backend (flannel.1 and
 * flannel-v6.1 as flannel makes them), node 2 runs {@code "Datapath": "userspace"}, one lease directory. The userspace
 * node's flannel-v6.1 is a TAP whose MAC is the lease's BackendV6Data VtepMAC, with the /128 address and MTU flannel's
 * device has, and pods reach each other over both families both ways.
 */
@Timeout(180)
class UserspaceDualStackAgentTest {
    static final String NET = "\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\"";

    @Test
    void kernelAndUserspaceAgentsCarryBothFamilies() throws Exception {
        NetnsLab.requireRoot();
        try (LabCluster lab = new LabCluster("wt-u6", 2, "{" + NET + ",\"Backend\":{\"Type\":\"vxlan\"}}")) {
            lab.ipv6Underlay(false);
            Path usConf = lab.workDir().resolve("net-conf-userspace.json");
            Files.writeString(usConf, "{" + NET + ",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}");
            LabCluster.Node k = lab.node(1);
            LabCluster.Node u = lab.node(2);
            lab.startAgent(k);
            UserspaceAgentTest.startUserspace(lab, u, usConf);
            lab.awaitSubnetEnv(k, Duration.ofSeconds(60));
            SubnetEnv env = lab.awaitSubnetEnv(u, Duration.ofSeconds(60));
            lab.awaitConverged(Duration.ofSeconds(30));

            IpReader r = new IpReader(u.ns());
            LinkInfo v6 = r.link("flannel-v6.1").orElseThrow(() -> new AssertionError("no flannel-v6.1:\n" + lab.log(u)));
            assertEquals("tun", v6.kind(), "the userspace node's IPv6 VTEP is a TAP");
            assertEquals(1430, v6.mtu(), "70 below the underlay, as the kernel's flannel-v6.1");
            assertEquals("tun", r.link("flannel.1").orElseThrow().kind());
            LeaseRecord lease = LeaseRecord.parse(Files.readString(lab.leaseDir().resolve("subnets")
                    .resolve(Lease.key(env.subnet(), env.ipv6Subnet()))));
            assertEquals(v6.mac(), lease.vtepMacV6(), "BackendV6Data's VtepMAC is flannel-v6.1's");
            assertEquals(u.ipv6(), lease.publicIpv6());
            assertTrue(r.globalAddresses6("flannel-v6.1").stream().anyMatch(a -> a.address().equals(env.ipv6Subnet().network())
                    && a.prefix() == 128), "flannel-v6.1 holds its subnet's network address /128: " + r.globalAddresses6("flannel-v6.1"));

            LabCluster.Pod pk = lab.addPod(k, "a");
            LabCluster.Pod pu = lab.addPod(u, "b");
            for (String[] hop : new String[][] {{pk.netns(), pu.ip6().toString()}, {pu.netns(), pk.ip6().toString()},
                    {pk.netns(), pu.ip().toString()}, {pu.netns(), pk.ip().toString()}}) {
                assertTrue(NetnsLab.run("ip", "netns", "exec", hop[0], "ping", "-c", "3", "-i", "0.2", "-W", "2", hop[1])
                        .exitCode() == 0, hop[0] + " -> " + hop[1] + "\n" + lab.log(u));
            }
        }
    }
}
