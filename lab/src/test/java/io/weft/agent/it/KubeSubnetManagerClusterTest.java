package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.jvm.ChildJvm;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.kube.MockApiServer;
import io.weft.lab.netns.NetnsLab;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * weftd with --kube-subnet-mgr, two nodes in network namespaces, against an API server reached over the underlay
 * (fabric8's mock in CRUD mode, {@link MockApiServer}: a stand-in, no real kube-apiserver runs here). Each node's
 * subnet is its spec.podCIDR, pods reach each other across nodes, a restart changes nothing, and a deleted Node's
 * routes go.
 */
class KubeSubnetManagerClusterTest {
    LabCluster lab;
    Process api;
    MockApiServer.Connection apiServer;

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) lab.close(); // kills the API server too: it runs in the lab's underlay namespace
        if (api != null && api.isAlive()) api.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    private String api(String command) throws IOException {
        return apiServer.call(command);
    }

    private void startApiServer() throws IOException {
        String ip = lab.addUnderlayService().toString();
        api = new ProcessBuilder(ChildJvm.command(lab.underlayNetns(), null, List.of("-Xmx256m"), MockApiServer.class.getName(),
                List.of(ip, "6443"))).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        apiServer = new MockApiServer.Connection(api, () -> "");
        lab.useKubeApi("http://" + ip + ":6443");
    }

    @Test
    void nodesTakeTheirPodCidrAndPodsReachEachOther() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-kube", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        startApiServer();
        api("node node1 10.244.5.0/24");
        api("node node2 10.244.9.0/24");
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));

        LabCluster.Node n1 = lab.node(1);
        LabCluster.Node n2 = lab.node(2);
        assertEquals(Ipv4Cidr.parse("10.244.5.0/24"), SubnetEnv.read(n1.subnetFile()).subnet());
        assertEquals(Ipv4Cidr.parse("10.244.9.0/24"), SubnetEnv.read(n2.subnetFile()).subnet());
        String annotations = api("annotations node1");
        assertTrue(annotations.contains("\"flannel.alpha.coreos.com/public-ip\":\"172.31.0.1\""), annotations);
        assertTrue(annotations.contains("\"flannel.alpha.coreos.com/backend-type\":\"vxlan\""), annotations);
        assertTrue(Probe.reachable(lab.addPod(n1, "a"), lab.addPod(n2, "a")), "pods across nodes");

        // A restart takes the same subnet from the Node and leaves the kernel as it was.
        IpReader r1 = new IpReader(n1.ns());
        int device = r1.link("flannel.1").orElseThrow().index();
        List<RouteEntry> routes = r1.routes();
        lab.stopAgent(n1);
        java.nio.file.Files.delete(n1.subnetFile());
        lab.startAgent(n1);
        assertEquals(Ipv4Cidr.parse("10.244.5.0/24"), lab.awaitSubnetEnv(n1, Duration.ofSeconds(60)).subnet());
        assertEquals(device, r1.link("flannel.1").orElseThrow().index(), "flannel.1 kept");
        assertEquals(java.util.Set.copyOf(routes), java.util.Set.copyOf(r1.routes()), "routes kept");

        // The Node goes (kubectl delete node): its routes go from the other node.
        api("delete node2");
        Probe.await("node1 drops the route to node2's subnet", Duration.ofSeconds(15),
                () -> r1.routes().stream().noneMatch(e -> e.dst().equals(Ipv4Cidr.parse("10.244.9.0/24"))));
    }
}
