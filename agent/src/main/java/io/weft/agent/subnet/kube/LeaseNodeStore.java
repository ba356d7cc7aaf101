package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The node informer's cache, keeping of each Node only what makes up its lease: name, resourceVersion (the informer
 * compares it on a relist), the lease's annotations ({@link NodeAnnotations#leaseKeys()}) and spec.podCIDR(s). A
 * real Node carries kilobytes besides (status with images, conditions, addresses; managedFields; labels; other
 * annotations), and the informer would hold all of it for every node of the cluster; the agent reads none of it from
 * the cache (its own Node it GETs whole). A Node read back is rebuilt from these fields: everything the agent's
 * handlers read is there, and the informer's notifications are as with its own full cache.
 */
final class LeaseNodeStore implements ItemStore<Node> {
    /** What is kept of one Node. */
    private record Kept(String name, String resourceVersion, Map<String, String> annotations, String podCidr,
                        List<String> podCidrs) {
        Node node() {
            ObjectMeta meta = new ObjectMeta();
            meta.setName(name);
            meta.setResourceVersion(resourceVersion);
            meta.setAnnotations(annotations == null ? null : new HashMap<>(annotations));
            NodeSpec spec = new NodeSpec();
            spec.setPodCIDR(podCidr);
            if (podCidrs != null) spec.setPodCIDRs(new ArrayList<>(podCidrs));
            Node n = new Node();
            n.setMetadata(meta);
            n.setSpec(spec);
            return n;
        }
    }

    private final List<String> leaseKeys;
    private final ConcurrentHashMap<String, Kept> nodes = new ConcurrentHashMap<>();

    LeaseNodeStore(NodeAnnotations keys) {
        this.leaseKeys = keys.leaseKeys();
    }

    /** What is kept of {@code n}: name, resourceVersion, the lease's annotations, spec.podCIDR and spec.podCIDRs. */
    Node trim(Node n) {
        return keep(n).node();
    }

    private Kept keep(Node n) {
        ObjectMeta meta = n.getMetadata();
        Map<String, String> all = meta.getAnnotations();
        Map<String, String> kept = null;
        if (all != null) {
            for (String k : leaseKeys) {
                String v = all.get(k);
                if (v == null) continue;
                if (kept == null) kept = new HashMap<>(8);
                kept.put(k, v);
            }
        }
        NodeSpec spec = n.getSpec();
        List<String> cidrs = spec == null || spec.getPodCIDRs() == null || spec.getPodCIDRs().isEmpty() ? null
                : List.copyOf(spec.getPodCIDRs().stream().filter(java.util.Objects::nonNull).toList());
        return new Kept(meta.getName(), meta.getResourceVersion(), kept == null ? null : Map.copyOf(kept),
                spec == null ? null : spec.getPodCIDR(), cidrs);
    }

    @Override
    public String getKey(Node n) {
        return Cache.metaNamespaceKeyFunc(n);
    }

    @Override
    public Node put(String key, Node n) {
        return node(nodes.put(key, keep(n)));
    }

    @Override
    public Node remove(String key) {
        return node(nodes.remove(key));
    }

    @Override
    public Stream<String> keySet() {
        return nodes.keySet().stream();
    }

    @Override
    public Stream<Node> values() {
        return nodes.values().stream().map(Kept::node);
    }

    @Override
    public int size() {
        return nodes.size();
    }

    @Override
    public Node get(String key) {
        return node(nodes.get(key));
    }

    private static Node node(Kept k) {
        return k == null ? null : k.node();
    }
}
