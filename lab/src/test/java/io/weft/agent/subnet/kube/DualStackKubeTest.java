package io.weft.agent.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import org.junit.jupiter.api.Test;

/**
 * Dual-stack leases in the Kubernetes subnet manager against fabric8's mock API server in CRUD mode, a stand-in (no
 * real kube-apiserver can be had here), with {@link ApiServerStandIn}'s nodes/status semantics and weft's ClusterRole:
 * the IPv6 subnet is the node's IPv6 spec.podCIDRs entry and the IPv6 side is published in flannel's annotations
 * (pkg/subnet/kube/annotations.go: backend-v6-data, public-ipv6, public-ipv6-overwrite, node-public-ipv6), written and
 * read as flannel's AcquireLease and nodeToLease (pkg/subnet/kube/kube.go) do.
 */
class DualStackKubeTest {
    static final String P = "flannel.alpha.coreos.com/";
    static final NetConf DUAL = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
            + "\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final LeaseRecord MINE = LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.11"), MacAddress.parse("0a:00:00:00:00:0b"),
            Ipv6Address.parse("fd00:1::11"), MacAddress.parse("0a:00:00:00:06:0b"), 1);

    KubernetesMockServer server;
    KubernetesClient admin;
    final List<KubeSubnetManager> made = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ApiServerStandIn api = new ApiServerStandIn(ApiServerStandIn.clusterRoleRules(
                java.nio.file.Path.of(System.getProperty("user.dir")).getParent().resolve("k8s-manifests/weft.yaml")));
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), api, false);
        server.init();
        admin = server.createClient();
    }

    @AfterEach
    void stop() {
        server.destroy();
        made.forEach(KubeSubnetManager::close);
        admin.close();
    }

    private KubeSubnetManager managerFor(String node, NetConf conf) {
        io.fabric8.kubernetes.client.Config base = server.createClient().getConfiguration();
        KubernetesClient c = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(base).withOauthToken(ApiServerStandIn.AGENT_TOKEN).build()).build();
        KubeSubnetManager m = new KubeSubnetManager(c, node, conf, new NodeAnnotations("flannel.alpha.coreos.com"), false);
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
