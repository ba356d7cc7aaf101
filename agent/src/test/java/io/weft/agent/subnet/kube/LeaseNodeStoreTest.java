package io.weft.agent.subnet.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The informer's cache keeps of a Node what its lease is made of, and nothing a real Node carries besides. */
class LeaseNodeStoreTest {
    static final String P = "flannel.alpha.coreos.com/";
    final NodeAnnotations keys = new NodeAnnotations("flannel.alpha.coreos.com");
    final LeaseNodeStore store = new LeaseNodeStore(keys);

    /** A Node as a real cluster serves it: flannel's annotations among others, labels, managedFields, a full status. */
    static Node realNode(String name, String rv, String mac) {
        return new NodeBuilder().withNewMetadata().withName(name).withResourceVersion(rv).withUid("uid-" + name)
                .addToAnnotations(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}")
                .addToAnnotations(P + "backend-type", "vxlan")
                .addToAnnotations(P + "kube-subnet-manager", "true")
                .addToAnnotations(P + "public-ip", "192.168.1.12")
                .addToAnnotations(P + "public-ipv6", "fd00::12")
                .addToAnnotations(P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}")
                .addToAnnotations("node.alpha.kubernetes.io/ttl", "0")
                .addToAnnotations("volumes.kubernetes.io/controller-managed-attach-detach", "true")
                .addToLabels("kubernetes.io/hostname", name).addToLabels("kubernetes.io/os", "linux")
                .addNewManagedField().withManager("kubelet").withOperation("Update").endManagedField()
                .endMetadata()
                .withNewSpec().withPodCIDR("10.244.2.0/24").withPodCIDRs("10.244.2.0/24", "fd00:10:244:2::/64").endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("192.168.1.12").endAddress()
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewImage().withNames("registry.k8s.io/pause:3.10").withSizeBytes(320368L).endImage()
                .withNewNodeInfo().withKubeletVersion("v1.34.0").endNodeInfo().endStatus()
                .build();
    }

    @Test
    void aNodeReadBackCarriesItsLeaseAndNothingElse() {
        Node full = realNode("node2", "41", "0a:00:00:00:00:02");
        store.put(store.getKey(full), full);
        Node kept = store.get("node2");

        assertEquals("node2", kept.getMetadata().getName());
        assertEquals("41", kept.getMetadata().getResourceVersion(), "the informer compares it on a relist");
        assertEquals(PodCidrs.leaseFields(full, keys), PodCidrs.leaseFields(kept, keys));
        assertEquals(keys.decode(full.getMetadata().getAnnotations(), true, true),
                keys.decode(kept.getMetadata().getAnnotations(), true, true));
        assertEquals(Ipv4Cidr.parse("10.244.2.0/24"), PodCidrs.ipv4(kept));
        assertEquals(Ipv6Cidr.parse("fd00:10:244:2::/64"), PodCidrs.ipv6(kept));

        assertEquals(Map.of(P + "backend-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:02\"}", P + "backend-type", "vxlan",
                P + "kube-subnet-manager", "true", P + "public-ip", "192.168.1.12", P + "public-ipv6", "fd00::12",
                P + "backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:02\"}"), kept.getMetadata().getAnnotations());
        assertTrue(kept.getMetadata().getLabels() == null || kept.getMetadata().getLabels().isEmpty());
        assertTrue(kept.getMetadata().getManagedFields() == null || kept.getMetadata().getManagedFields().isEmpty());
        assertNull(kept.getStatus());
    }

    @Test
    void aNodeWithoutAnnotationsOrSpecIsKeptAsSuch() {
        Node bare = new NodeBuilder().withNewMetadata().withName("new").withResourceVersion("7").endMetadata().build();
        store.put("new", bare);
        Node kept = store.get("new");
        assertEquals("new", kept.getMetadata().getName());
        assertTrue(kept.getMetadata().getAnnotations() == null || kept.getMetadata().getAnnotations().isEmpty());
        assertNull(PodCidrs.ipv4(kept));
        assertTrue(!keys.present(kept.getMetadata().getAnnotations()), "a node whose agent has not published yet");
    }

    @Test
    void putReturnsTheNodeItReplacesAndRemoveTheOneItRemoved() {
        Node v1 = realNode("node3", "1", "0a:00:00:00:00:03");
        Node v2 = realNode("node3", "2", "0a:00:00:00:00:33");
        assertNull(store.put("node3", v1));
        Node before = store.put("node3", v2);
        assertEquals("1", before.getMetadata().getResourceVersion());
        assertEquals(PodCidrs.leaseFields(v1, keys), PodCidrs.leaseFields(before, keys), "the update's old side");
        assertEquals(1, store.size());
        assertEquals(List.of("node3"), store.keySet().toList());
        assertEquals("2", store.values().toList().getFirst().getMetadata().getResourceVersion());
        assertEquals("2", store.remove("node3").getMetadata().getResourceVersion());
        assertEquals(0, store.size());
        assertNull(store.get("node3"));
    }
}
