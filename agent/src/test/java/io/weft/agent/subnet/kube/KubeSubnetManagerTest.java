package io.weft.agent.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetException;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes subnet manager against fabric8's mock API server in CRUD mode: a stand-in, because no real
 * kube-apiserver can be had on this machine (see ENVIRONMENT.md). The mock stores and serves Node objects,
 * merge patches and watches as the API server does. What it cannot show: RBAC, and strategic merge patches (it
 * answers 415), so the NetworkUnavailable condition weftd sets through one is not checked here.
 */
class KubeSubnetManagerTest {
    static final String PREFIX = "flannel.alpha.coreos.com";
    static final NetConf CONF = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final LeaseRecord MINE = LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.11"), 1, MacAddress.parse("0a:00:00:00:00:0b"));

    KubernetesMockServer server;
    KubernetesClient admin; // what kubectl and kube-controller-manager would do
    KubeSubnetManager manager;
    final List<KubeSubnetManager> made = new java.util.ArrayList<>();

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        admin = server.createClient();
    }

    /**
     * The server goes first: the mock's vert.x loop can block for seconds in its watch-closed handler when a
     * client closes a watch while events are still being sent to it (nothing of weft's is involved).
     */
    @AfterEach
    void stop() {
        server.destroy();
        made.forEach(KubeSubnetManager::close);
        admin.close();
    }

    private KubeSubnetManager managerFor(String node) {
        manager = new KubeSubnetManager(server.createClient(), node, CONF, new NodeAnnotations(PREFIX));
        made.add(manager);
        return manager;
    }

    private Node node(String name, String podCidr) {
        return admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withPodCIDR(podCidr).endSpec().build()).create();
    }

    /** A node as flannel's own agent publishes it, to prove the two read each other. */
    private void flannelNode(String name, String podCidr, String publicIp, String mac) {
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .addToAnnotations(PREFIX + "/backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}")
                .addToAnnotations(PREFIX + "/backend-type", "vxlan")
                .addToAnnotations(PREFIX + "/kube-subnet-manager", "true")
                .addToAnnotations(PREFIX + "/public-ip", publicIp)
                .endMetadata().withNewSpec().withPodCIDR(podCidr).endSpec().build()).create();
    }

    @Test
    void theLeaseIsTheNodesPodCidrAndIsPublishedInFlannelsAnnotations() throws Exception {
        node("node-a", "10.244.3.0/24");
        Lease lease = managerFor("node-a").acquire(MINE);

        assertEquals(Ipv4Cidr.parse("10.244.3.0/24"), lease.subnet());
        Map<String, String> a = admin.nodes().withName("node-a").get().getMetadata().getAnnotations();
        assertEquals("vxlan", a.get(PREFIX + "/backend-type"));
        assertEquals("{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:0b\"}", a.get(PREFIX + "/backend-data"));
        assertEquals("192.168.1.11", a.get(PREFIX + "/public-ip"));
        assertEquals("true", a.get(PREFIX + "/kube-subnet-manager"));
        assertEquals(List.of(lease.subnet()), manager.leases().stream().map(Lease::subnet).toList());
    }

    @Test
    void aRestartedAgentGetsTheSameSubnetAndLeavesTheNodeUntouched() throws Exception {
        node("node-a", "10.244.3.0/24");
        managerFor("node-a").acquire(MINE); // the first agent; closed at teardown, after the server (see stop())
        String version = admin.nodes().withName("node-a").get().getMetadata().getResourceVersion();

        Lease again = managerFor("node-a").acquire(MINE);
        assertEquals(Ipv4Cidr.parse("10.244.3.0/24"), again.subnet());
        assertEquals(version, admin.nodes().withName("node-a").get().getMetadata().getResourceVersion(),
                "same annotations: no write to the Node");
    }

    @Test
    void peersPublishedByFlannelAppearAndGoWithTheirNode() throws Exception {
        node("node-a", "10.244.3.0/24");
        flannelNode("node-b", "10.244.7.0/24", "192.168.1.12", "0a:00:00:00:00:0c");
        managerFor("node-a").acquire(MINE);

        Lease b = manager.leases().stream().filter(l -> l.subnet().equals(Ipv4Cidr.parse("10.244.7.0/24"))).findFirst().orElseThrow();
        assertEquals(Ipv4Address.parse("192.168.1.12"), b.attrs().publicIp());
        assertEquals(MacAddress.parse("0a:00:00:00:00:0c"), b.attrs().vtepMac());
        assertEquals(1, b.attrs().vni());

        // A node joins: the watch wakes the agent at once, not after its resync interval.
        manager.awaitChange(10); // take the changes seen so far
        long t0 = System.nanoTime();
        flannelNode("node-c", "10.244.9.0/24", "192.168.1.13", "0a:00:00:00:00:0d");
        manager.awaitChange(20_000);
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "woken by the watch");
        awaitLeases(3);

        admin.nodes().withName("node-b").delete();
        awaitLeases(2);
        assertTrue(manager.leases().stream().noneMatch(l -> l.subnet().equals(Ipv4Cidr.parse("10.244.7.0/24"))));
    }

    @Test
    void publicIpOverwriteIsWhatPeersUse() throws Exception {
        node("node-a", "10.244.3.0/24");
        flannelNode("node-b", "10.244.7.0/24", "192.168.1.12", "0a:00:00:00:00:0c");
        admin.nodes().withName("node-b").edit(n -> new NodeBuilder(n).editMetadata()
                .addToAnnotations(PREFIX + "/public-ip-overwrite", "203.0.113.7").endMetadata().build());
        managerFor("node-a").acquire(MINE);
        awaitLeases(2);
        Lease b = manager.leases().stream().filter(l -> l.subnet().equals(Ipv4Cidr.parse("10.244.7.0/24"))).findFirst().orElseThrow();
        assertEquals(Ipv4Address.parse("203.0.113.7"), b.attrs().publicIp());
    }

    @Test
    void aMalformedPeerIsIgnoredAndTheRestStillCount() throws Exception {
        node("node-a", "10.244.3.0/24");
        flannelNode("node-b", "10.244.7.0/24", "192.168.1.12", "0a:00:00:00:00:0c");
        flannelNode("node-bad", "10.244.8.0/24", "192.168.1.14", "not-a-mac");
        flannelNode("node-out", "10.9.0.0/24", "192.168.1.15", "0a:00:00:00:00:0f");
        managerFor("node-a").acquire(MINE);
        awaitLeases(2);
        assertEquals(List.of("10.244.3.0/24", "10.244.7.0/24"), manager.leases().stream().map(l -> l.subnet().toString()).toList());
    }

    @Test
    void removedAnnotationsArePublishedAgain() throws Exception {
        node("node-a", "10.244.3.0/24");
        managerFor("node-a").acquire(MINE);
        admin.nodes().withName("node-a").edit(n -> new NodeBuilder(n).editMetadata().withAnnotations(Map.of()).endMetadata().build());
        long deadline = System.nanoTime() + 10_000_000_000L;
        Map<String, String> a = Map.of();
        while (System.nanoTime() < deadline) {
            manager.awaitChange(200);
            manager.leases();
            a = admin.nodes().withName("node-a").get().getMetadata().getAnnotations();
            if (a != null && "192.168.1.11".equals(a.get(PREFIX + "/public-ip"))) break;
        }
        assertNotNull(a);
        assertEquals("192.168.1.11", a.get(PREFIX + "/public-ip"), "published again: " + a);
    }

    @Test
    void aNodeWithoutPodCidrIsRefusedWithWhatToFix() {
        node("node-a", null);
        SubnetException e = assertThrows(SubnetException.class, () -> managerFor("node-a").acquire(MINE));
        assertTrue(e.getMessage().contains("node node-a has no spec.podCIDR"), e.getMessage());
        assertTrue(e.getMessage().contains("--allocate-node-cidrs"), e.getMessage());
        Map<String, String> a = admin.nodes().withName("node-a").get().getMetadata().getAnnotations();
        assertTrue(a == null || a.isEmpty(), "nothing written: " + a);
    }

    @Test
    void aPodCidrOutsideTheNetworkIsRefusedNamingBoth() {
        node("node-a", "10.9.3.0/24");
        SubnetException e = assertThrows(SubnetException.class, () -> managerFor("node-a").acquire(MINE));
        assertTrue(e.getMessage().contains("spec.podCIDR 10.9.3.0/24 is outside the Network 10.244.0.0/16"), e.getMessage());
    }

    @Test
    void anUnknownNodeNameIsNamed() {
        SubnetException e = assertThrows(SubnetException.class, () -> managerFor("nope").acquire(MINE));
        assertTrue(e.getMessage().contains("node nope does not exist"), e.getMessage());
    }

    @Test
    void missingNodeNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KubeSubnetManager(server.createClient(), null, CONF, new NodeAnnotations(PREFIX)));
        assertTrue(e.getMessage().contains("NODE_NAME is not set"), e.getMessage());
    }

    @Test
    void anUnreachableApiServerIsNamed() {
        manager = new KubeSubnetManager(KubeClients.create(null, "http://127.0.0.1:1"), "node-a", CONF,
                new NodeAnnotations(PREFIX));
        SubnetException e = assertThrows(SubnetException.class, () -> manager.acquire(MINE));
        assertTrue(e.getMessage().startsWith("Kubernetes API: GET node node-a: cannot reach the API server"), e.getMessage());
    }

    private void awaitLeases(int n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (manager.leases().size() != n && System.nanoTime() < deadline) manager.awaitChange(200);
        assertEquals(n, manager.leases().size(), manager.leases().toString());
    }
}
