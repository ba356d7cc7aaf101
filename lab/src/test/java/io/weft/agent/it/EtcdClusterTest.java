package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.netns.NetnsLab;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three weftd agents in network namespaces keep their leases in a real etcd that runs in the lab's underlay
 * namespace, the network config stored in etcd as flannel's is: every node gets its own subnet, pods reach each
 * other, and a lease removed from etcd takes its routes with it on the other nodes.
 */
class EtcdClusterTest {
    LabCluster lab;
    LabEtcd etcd;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
        if (etcd != null) etcd.close();
    }

    private String etcdctl(String... args) {
        return etcd.etcdctl(lab.underlayNetns(), args);
    }

    @Test
    void agentsShareEtcdAndPodsReachEachOther() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-etcd", 3, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        String ip = lab.addUnderlayService().toString();
        etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380);
        etcdctl("put", "/coreos.com/network/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        lab.useEtcd(etcd.url().toString());
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));

        String keys = etcdctl("get", "--prefix", "--keys-only", "/coreos.com/network/subnets/");
        assertEquals(3, keys.lines().filter(l -> !l.isBlank()).count(), keys);
        LabCluster.Pod a = lab.addPod(lab.node(1), "a");
        LabCluster.Pod c = lab.addPod(lab.node(3), "c");
        assertTrue(Probe.reachable(a, c), "pods across nodes");

        // node 3's lease goes from etcd (its lease ran out, or an operator removed it): the others drop its routes
        Ipv4Cidr gone = SubnetEnv.read(lab.node(3).subnetFile()).subnet();
        lab.stopAgent(lab.node(3));
        etcdctl("del", "/coreos.com/network/subnets/" + gone.toKey());
        IpReader r1 = new IpReader(lab.node(1).ns());
        Probe.await("node1 drops the route to the removed lease", Duration.ofSeconds(10),
                () -> r1.routes().stream().noneMatch(e -> e.dst().equals(gone)));
    }
}
