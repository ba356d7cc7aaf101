package io.weft.agent.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.kube.ApiServerStandIn;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes subnet manager against fabric8's mock API server in CRUD mode: a stand-in, because no real
 * kube-apiserver can be had on this machine (see ENVIRONMENT.md). The mock stores and serves Node objects, merge
 * patches and watches as the API server does; {@link ApiServerStandIn} adds the API server's nodes/status semantics
 * and enforces k8s-manifests/weft.yaml's ClusterRole on the agent's requests.
 */
class KubeSubnetManagerTest {
    static final String PREFIX = "flannel.alpha.coreos.com";
    static final NetConf CONF = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final LeaseRecord MINE = LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.11"), 1, MacAddress.parse("0a:00:00:00:00:0b"));

    KubernetesMockServer server;
    ApiServerStandIn api;
    KubernetesClient admin; // what kubectl and kube-controller-manager would do
    KubeSubnetManager manager;
    final List<KubeSubnetManager> made = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        api = new ApiServerStandIn(ApiServerStandIn.clusterRoleRules(
                java.nio.file.Path.of(System.getProperty("user.dir")).getParent().resolve("k8s-manifests/weft.yaml")));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), api, false);
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

    /** A client as the agent's: it authenticates as weft's ServiceAccount, so the stand-in enforces the ClusterRole. */
    private KubernetesClient agentClient() {
        io.fabric8.kubernetes.client.Config base = server.createClient().getConfiguration();
        return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(base).withOauthToken(ApiServerStandIn.AGENT_TOKEN).build()).build();
    }

    private KubeSubnetManager managerFor(String node) {
        return managerFor(node, true);
    }

    private KubeSubnetManager managerFor(String node, boolean setNodeNetworkUnavailable) {
        manager = new KubeSubnetManager(agentClient(), node, CONF, new NodeAnnotations(PREFIX), setNodeNetworkUnavailable);
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
    void publicIpOverwriteIsPublishedAsPublicIpAndPeersReadPublicIpOnly() throws Exception {
        // flannel pkg/subnet/kube/kube.go AcquireLease: a node's public-ip-overwrite is written to its public-ip
        node("node-a", "10.244.3.0/24");
        admin.nodes().withName("node-a").edit(n -> new NodeBuilder(n).editMetadata()
                .addToAnnotations(PREFIX + "/public-ip-overwrite", "203.0.113.11").endMetadata().build());
        // nodeToLease: peers read public-ip alone; node-b's agent has not copied its overwrite yet
        flannelNode("node-b", "10.244.7.0/24", "192.168.1.12", "0a:00:00:00:00:0c");
        admin.nodes().withName("node-b").edit(n -> new NodeBuilder(n).editMetadata()
                .addToAnnotations(PREFIX + "/public-ip-overwrite", "203.0.113.7").endMetadata().build());
        managerFor("node-a").acquire(MINE);
        assertEquals("203.0.113.11", admin.nodes().withName("node-a").get().getMetadata().getAnnotations().get(PREFIX + "/public-ip"),
                "what flannel peers send to");
        awaitLeases(2);
        Lease b = manager.leases().stream().filter(l -> l.subnet().equals(Ipv4Cidr.parse("10.244.7.0/24"))).findFirst().orElseThrow();
        assertEquals(Ipv4Address.parse("192.168.1.12"), b.attrs().publicIp());
        // a restart with the same overwrite writes nothing: the first agent is gone and its last writes have landed
        KubeSubnetManager first = manager;
        first.close();
        String version = admin.nodes().withName("node-a").get().getMetadata().getResourceVersion();
        for (String was = null; !version.equals(was); version = admin.nodes().withName("node-a").get().getMetadata()
                .getResourceVersion()) {
            was = version;
            Thread.sleep(500);
        }
        managerFor("node-a").acquire(MINE);
        assertEquals(version, admin.nodes().withName("node-a").get().getMetadata().getResourceVersion());
    }

    @Test
    void nodePublicIpIsTheStoredPublicIp() throws Exception {
        // flannel main.go: sm.GetStoredPublicIP (kube.go, the node-public-ip annotation) replaces --public-ip
        node("node-a", "10.244.3.0/24");
        assertTrue(managerFor("node-a").storedPublicIp().isEmpty());
        admin.nodes().withName("node-a").edit(n -> new NodeBuilder(n).editMetadata()
                .addToAnnotations(PREFIX + "/node-public-ip", "192.168.1.99").endMetadata().build());
        assertEquals(java.util.Optional.of("192.168.1.99"), managerFor("node-a").storedPublicIp());
    }

    @Test
    void annotationsAndTheConditionAreWrittenThroughNodesStatusWithFlannelsClusterRole() throws Exception {
        // flannel kube.go AcquireLease patches the annotations with subresource "status", CompleteLease the
        // NetworkUnavailable condition with PatchStatus: nothing else is written, and the manifest allows nothing else
        node("node-a", "10.244.3.0/24");
        managerFor("node-a").acquire(MINE);
        Node n = admin.nodes().withName("node-a").get();
        assertEquals("192.168.1.11", n.getMetadata().getAnnotations().get(PREFIX + "/public-ip"));
        assertEquals("10.244.3.0/24", n.getSpec().getPodCIDR(), "the spec is the API server's to keep");
        var cond = n.getStatus().getConditions().stream().filter(c -> c.getType().equals("NetworkUnavailable")).findFirst().orElseThrow();
        assertEquals("False", cond.getStatus());
        List<String> writes = api.agentRequests().stream().filter(r -> !r.startsWith("get ") && !r.startsWith("list ")
                && !r.startsWith("watch ")).distinct().toList();
        assertEquals(List.of("patch nodes/status"), writes);
        // the stand-in enforces the ClusterRole: the agent's account may not patch a node itself
        var e = assertThrows(io.fabric8.kubernetes.client.KubernetesClientException.class, () -> agentClient().nodes()
                .withName("node-a").edit(x -> new NodeBuilder(x).editSpec().withUnschedulable(true).endSpec().build()));
        assertEquals(403, e.getCode());
    }

    @Test
    void setNodeNetworkUnavailableFalseLeavesTheConditionAlone() throws Exception {
        // flannel --set-node-network-unavailable=false: CompleteLease returns before PatchStatus
        node("node-a", "10.244.3.0/24");
        managerFor("node-a", false).acquire(MINE);
        Node n = admin.nodes().withName("node-a").get();
        assertTrue(n.getStatus() == null || n.getStatus().getConditions() == null || n.getStatus().getConditions().isEmpty());
        assertEquals("192.168.1.11", n.getMetadata().getAnnotations().get(PREFIX + "/public-ip"));
    }

    @Test
    void theNodeNameComesFromNodeNameOrThePodsSpec() {
        // flannel kube.go NewSubnetManager: $NODE_NAME, else spec.nodeName of $POD_NAMESPACE/$POD_NAME
        admin.pods().inNamespace("kube-flannel").resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
                .withName("kube-flannel-ds-x1").withNamespace("kube-flannel").endMetadata().withNewSpec().withNodeName("node-7")
                .endSpec().build()).create();
        KubernetesClient c = agentClient();
        assertEquals("node-3", KubeSubnetManager.nodeName(c, Map.of("NODE_NAME", "node-3", "POD_NAME", "x", "POD_NAMESPACE", "y")));
        assertEquals("node-7", KubeSubnetManager.nodeName(c, Map.of("POD_NAME", "kube-flannel-ds-x1", "POD_NAMESPACE", "kube-flannel")));
        assertEquals(null, KubeSubnetManager.nodeName(c, Map.of("POD_NAME", "kube-flannel-ds-x1")));
        SubnetException e = assertThrows(SubnetException.class,
                () -> KubeSubnetManager.nodeName(c, Map.of("POD_NAME", "gone", "POD_NAMESPACE", "kube-flannel")));
        assertTrue(e.getMessage().contains("pod kube-flannel/gone ($POD_NAMESPACE/$POD_NAME) does not exist"), e.getMessage());
        c.close();
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
        assertTrue(e.getMessage().contains("NODE_NAME is not set, nor POD_NAME and POD_NAMESPACE"), e.getMessage());
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

    /**
     * Dual-stack leases in the Kubernetes subnet manager against fabric8's mock API server in CRUD mode, a stand-in (no
     * real kube-apiserver can be had here), with {@link ApiServerStandIn}'s nodes/status semantics and weft's ClusterRole:
     * the IPv6 subnet is the node's IPv6 spec.podCIDRs entry and the IPv6 side is published in flannel's annotations
     * (pkg/subnet/kube/annotations.go: backend-v6-data, public-ipv6, public-ipv6-overwrite, node-public-ipv6), written and
     * read as flannel's AcquireLease and nodeToLease (pkg/subnet/kube/kube.go) do.
     */
    @Nested
    class DualStack {
        static final String P = PREFIX + "/";
        static final NetConf DUAL = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
                + "\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
        static final LeaseRecord MINE = LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.11"), MacAddress.parse("0a:00:00:00:00:0b"),
                Ipv6Address.parse("fd00:1::11"), MacAddress.parse("0a:00:00:00:06:0b"), 1);

        private KubeSubnetManager managerFor(String node, NetConf conf) {
            KubeSubnetManager m = new KubeSubnetManager(agentClient(), node, conf, new NodeAnnotations(PREFIX), false);
            made.add(m);
            return m;
        }

        private void node(String name, Map<String, String> annotations, String... podCidrs) {
            admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).addToAnnotations(annotations).endMetadata()
                    .withNewSpec().withPodCIDR(podCidrs[0]).withPodCIDRs(podCidrs).endSpec().build()).create();
        }

        private Map<String, String> annotations(String node) {
            return admin.nodes().withName(node).get().getMetadata().getAnnotations();
        }

        @Test
        void bothSubnetsComeFromPodCidrsAndTheIpv6SideIsPublishedAsFlannelDoes() throws Exception {
            node("node-a", Map.of(), "10.244.3.0/24", "fd00:10:244:3::/64");
            Lease l = managerFor("node-a", DUAL).acquire(MINE);
            assertEquals(Ipv4Cidr.parse("10.244.3.0/24"), l.subnet());
            assertEquals(Ipv6Cidr.parse("fd00:10:244:3::/64"), l.ipv6Subnet());
            assertEquals(MINE, l.attrs());
            Map<String, String> a = annotations("node-a");
            assertEquals("vxlan", a.get(P + "backend-type"));
            assertEquals("{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:0b\"}", a.get(P + "backend-data"));
            assertEquals("192.168.1.11", a.get(P + "public-ip"));
            assertEquals("{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:06:0b\"}", a.get(P + "backend-v6-data"));
            assertEquals("fd00:1::11", a.get(P + "public-ipv6"));
            assertEquals("true", a.get(P + "kube-subnet-manager"));
        }

        @Test
        void aFlannelDualStackPeerIsReadWithBothFamilies() throws Exception {
            node("node-a", Map.of(), "10.244.3.0/24", "fd00:10:244:3::/64");
            // what flanneld's AcquireLease publishes for a dual-stack vxlan node
            node("node-f", Map.of(P + "backend-type", "vxlan", P + "kube-subnet-manager", "true",
                    P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:0f\"}", P + "public-ip", "192.168.1.15",
                    P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:06:0f\"}", P + "public-ipv6", "fd00:1::15"),
                    "10.244.5.0/24", "fd00:10:244:5::/64");
            KubeSubnetManager m = managerFor("node-a", DUAL);
            m.acquire(MINE);
            Lease peer = m.leases().stream().filter(x -> x.subnet().equals(Ipv4Cidr.parse("10.244.5.0/24"))).findFirst().orElseThrow();
            assertEquals(Ipv6Cidr.parse("fd00:10:244:5::/64"), peer.ipv6Subnet());
            assertEquals(Ipv6Address.parse("fd00:1::15"), peer.attrs().publicIpv6());
            assertEquals(MacAddress.parse("0a:00:00:00:06:0f"), peer.attrs().vtepMacV6());
        }

        @Test
        void publicIpv6OverwriteIsPublishedAsPublicIpv6AndNodePublicIpv6IsStored() throws Exception {
            node("node-a", Map.of(P + "public-ipv6-overwrite", "fd00:99::1", P + "node-public-ipv6", "fd00:1::42"),
                    "10.244.3.0/24", "fd00:10:244:3::/64");
            KubeSubnetManager m = managerFor("node-a", DUAL);
            assertEquals(java.util.Optional.of("fd00:1::42"), m.storedPublicIpv6());
            Lease l = m.acquire(MINE);
            assertEquals("fd00:99::1", annotations("node-a").get(P + "public-ipv6"));
            assertEquals(Ipv6Address.parse("fd00:99::1"), l.attrs().publicIpv6(), "what peers read");
        }

        @Test
        void withoutAnIpv6PodCidrTheNodeIsRefusedWithTheFix() {
            node("node-a", Map.of(), "10.244.3.0/24");
            SubnetException e = assertThrows(SubnetException.class, () -> managerFor("node-a", DUAL).acquire(MINE));
            assertTrue(e.getMessage().startsWith("node node-a has no IPv6 entry in spec.podCIDRs"), e.getMessage());
            assertTrue(e.getMessage().contains("--cluster-cidr=10.244.0.0/16,fd00:10:244::/56"), e.getMessage());
            node("node-b", Map.of(), "10.244.4.0/24", "fd00:99::/64");
            SubnetException out = assertThrows(SubnetException.class, () -> managerFor("node-b", DUAL).acquire(MINE));
            assertTrue(out.getMessage().contains("is outside the IPv6Network fd00:10:244::/56"), out.getMessage());
        }

        @Test
        void aPeerWithoutIpv6AnnotationsKeepsItsIpv4Routes() throws Exception {
            node("node-a", Map.of(), "10.244.3.0/24", "fd00:10:244:3::/64");
            node("node-old", Map.of(P + "backend-type", "vxlan", P + "kube-subnet-manager", "true",
                    P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:0e\"}", P + "public-ip", "192.168.1.14"),
                    "10.244.4.0/24", "fd00:10:244:4::/64");
            KubeSubnetManager m = managerFor("node-a", DUAL);
            m.acquire(MINE);
            Lease old = m.leases().stream().filter(x -> x.subnet().equals(Ipv4Cidr.parse("10.244.4.0/24"))).findFirst().orElseThrow();
            assertNull(old.ipv6Subnet());
            assertFalse(old.attrs().hasIpv6());
        }

        @Test
        void aRestartKeepsBothSubnetsAndWritesNothing() throws Exception {
            node("node-a", Map.of(), "10.244.3.0/24", "fd00:10:244:3::/64");
            Lease first = managerFor("node-a", DUAL).acquire(MINE);
            String version = admin.nodes().withName("node-a").get().getMetadata().getResourceVersion();
            Lease again = managerFor("node-a", DUAL).acquire(MINE);
            assertEquals(first, again.with(first.attrs(), first.expiration()));
            assertEquals(version, admin.nodes().withName("node-a").get().getMetadata().getResourceVersion(), "no write on restart");
        }

        @Test
        void ipv4OnlyIgnoresTheIpv6Annotations() throws Exception {
            NetConf v4 = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
            node("node-a", Map.of(), "10.244.3.0/24", "fd00:10:244:3::/64");
            node("node-f", Map.of(P + "backend-type", "vxlan", P + "kube-subnet-manager", "true",
                    P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:0f\"}", P + "public-ip", "192.168.1.15",
                    P + "backend-v6-data", "not json", P + "public-ipv6", "fd00:1::15"), "10.244.5.0/24", "fd00:10:244:5::/64");
            KubeSubnetManager m = managerFor("node-a", v4);
            Lease mine = m.acquire(LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.11"), 1, MacAddress.parse("0a:00:00:00:00:0b")));
            assertNull(mine.ipv6Subnet());
            assertFalse(annotations("node-a").containsKey(P + "public-ipv6"));
            Lease peer = m.leases().stream().filter(x -> x.subnet().equals(Ipv4Cidr.parse("10.244.5.0/24"))).findFirst().orElseThrow();
            assertNull(peer.ipv6Subnet());
            assertFalse(peer.attrs().hasIpv6(), "flannel's nodeToLease reads the IPv6 side only with EnableIPv6");
        }
    }
}
