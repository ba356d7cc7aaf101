package io.weft.agent.subnet.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetException;
import io.weft.agent.subnet.WatchedSubnetManager;
import io.weft.core.config.NetConf;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Leases from the Kubernetes API, as flannel's {@code --kube-subnet-mgr}: a node's subnet is its
 * {@code spec.podCIDR} (handed out by kube-controller-manager's {@code --allocate-node-cidrs}), and what the
 * node publishes with it lives in flannel's node annotations ({@link NodeAnnotations}). Nothing else is stored:
 * a node's lease lasts as long as the Node object, so a deleted node's routes go with it, and a restarted agent
 * gets the same subnet because the node keeps its podCIDR.
 *
 * <p>Other nodes are read from a shared informer (one LIST, then a WATCH the client re-establishes by itself),
 * never polled. The network config comes from net-conf.json (the DaemonSet's ConfigMap), as in flannel.
 */
public final class KubeSubnetManager extends WatchedSubnetManager {
    private static final Logger LOG = Logger.getLogger(KubeSubnetManager.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A Node-backed lease never expires by time; the agent renews a day ahead of this, i.e. never in practice. */
    static final Duration TERM = Duration.ofDays(365 * 100);
    /** How often the API server is asked whether it is there ({@link ApiOutageWatch}). */
    static final Duration OUTAGE_CHECK = Duration.ofSeconds(10);

    private final KubernetesClient client;
    private final String nodeName;
    private final NetConf conf;
    private final NodeAnnotations keys;
    private final Clock clock;
    private final boolean setNodeNetworkUnavailable;
    private final Map<String, String> reported = new java.util.concurrent.ConcurrentHashMap<>(); // node -> problem logged
    private final Map<String, IpCidr> nodeSubnets = new java.util.concurrent.ConcurrentHashMap<>(); // its last good one
    private SharedIndexInformer<Node> informer;
    private ApiOutageWatch outageWatch;

    public KubeSubnetManager(KubernetesClient client, String nodeName, NetConf conf, NodeAnnotations keys) {
        this(client, nodeName, conf, keys, true, Clock.systemUTC());
    }

    /** @param setNodeNetworkUnavailable --set-node-network-unavailable: clear the node's NetworkUnavailable condition */
    public KubeSubnetManager(KubernetesClient client, String nodeName, NetConf conf, NodeAnnotations keys,
                             boolean setNodeNetworkUnavailable) {
        this(client, nodeName, conf, keys, setNodeNetworkUnavailable, Clock.systemUTC());
    }

    KubeSubnetManager(KubernetesClient client, String nodeName, NetConf conf, NodeAnnotations keys,
                      boolean setNodeNetworkUnavailable, Clock clock) {
        super("node annotations", clock);
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("NODE_NAME is not set, nor POD_NAME and POD_NAMESPACE: the Kubernetes subnet "
                    + "manager needs this node's name (the DaemonSet sets NODE_NAME from spec.nodeName)");
        }
        if (conf == null) {
            throw new IllegalArgumentException("--kube-subnet-mgr needs net-conf.json (--net-config-path, default "
                    + "/etc/kube-flannel/net-conf.json from the weft ConfigMap)");
        }
        this.client = client;
        this.nodeName = nodeName;
        this.conf = conf;
        this.keys = keys;
        this.clock = clock;
        this.setNodeNetworkUnavailable = setNodeNetworkUnavailable;
    }

    /**
     * This node's name, as flannel's NewSubnetManager finds it: $NODE_NAME, else the spec.nodeName of the pod
     * $POD_NAMESPACE/$POD_NAME (flannel's DaemonSet sets those two); null when none of them is set.
     */
    public static String nodeName(KubernetesClient client, Map<String, String> env) {
        String node = env.get("NODE_NAME");
        if (node != null && !node.isEmpty()) return node;
        String pod = env.get("POD_NAME");
        String namespace = env.get("POD_NAMESPACE");
        if (pod == null || pod.isEmpty() || namespace == null || namespace.isEmpty()) return null;
        io.fabric8.kubernetes.api.model.Pod p;
        try {
            p = client.pods().inNamespace(namespace).withName(pod).get();
        } catch (KubernetesClientException e) {
            throw ApiErrors.apiError("GET pod " + namespace + "/" + pod + " (for its spec.nodeName, as NODE_NAME is not set)", e);
        }
        if (p == null) throw new SubnetException("pod " + namespace + "/" + pod + " ($POD_NAMESPACE/$POD_NAME) does not exist");
        String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
        if (n == null || n.isEmpty()) throw new SubnetException("pod " + namespace + "/" + pod + " has no spec.nodeName yet");
        return n;
    }

    /**
     * The address an operator gave this node in its node-public-ip annotation, which flanneld takes as --public-ip
     * (main.go, from GetStoredPublicIP); empty when unset.
     */
    @Override
    public java.util.Optional<String> storedPublicIp() throws IOException {
        return stored(keys.nodePublicIp());
    }

    /** The node-public-ipv6 annotation, which flanneld takes as --public-ipv6; empty when unset. */
    @Override
    public java.util.Optional<String> storedPublicIpv6() throws IOException {
        return stored(keys.nodePublicIpv6());
    }

    private java.util.Optional<String> stored(String key) {
        Map<String, String> a = getOwnNode().getMetadata().getAnnotations();
        String ip = a == null ? null : a.get(key);
        return ip == null || ip.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(ip);
    }

    @Override
    public NetConf config() {
        return conf;
    }

    @Override
    public Lease acquire(LeaseRecord attrs) throws IOException {
        Node node = getOwnNode();
        Ipv4Cidr subnet = conf.enableIPv4() ? PodCidrs.ipv4(node) : null; // an IPv6-only node has only an IPv6 entry
        if (subnet == null && conf.enableIPv4()) {
            throw new SubnetException("node " + nodeName + " has no spec.podCIDR: the cluster must hand out node subnets "
                    + "(kube-controller-manager --allocate-node-cidrs=true --cluster-cidr=" + conf.network() + ")");
        }
        if (subnet != null && !conf.network().contains(subnet)) {
            throw new SubnetException("node " + nodeName + " spec.podCIDR " + subnet + " is outside the Network "
                    + conf.network() + " of net-conf.json (it must match kube-controller-manager's --cluster-cidr)");
        }
        Ipv6Cidr subnet6 = conf.enableIPv6() ? PodCidrs.ownIpv6(node, conf) : null;
        publish(node, attrs);
        own.held(new Lease(subnet, published(node, attrs), clock.instant().plus(TERM), subnet6), false);
        if (setNodeNetworkUnavailable && !networkAvailable(node)) markNetworkAvailable();
        startInformer();
        LOG.info("lease " + own.lease().describe() + " is node " + nodeName + "'s spec.podCIDRs; published in its "
                + keys.backendType() + " annotations");
        return own.lease();
    }

    /** What peers read from this node's annotations once {@code attrs} are published (public-ip-overwrite applied). */
    private LeaseRecord published(Node node, LeaseRecord attrs) {
        return keys.decode(wanted(node, attrs), conf.enableIPv4(), conf.enableIPv6());
    }

    @Override
    public Lease renew(Lease lease) throws IOException {
        return republish(lease);
    }

    /** This node's annotations again, as they should be (own lease repair and renewal). */
    private Lease republish(Lease mine) {
        Node node = getOwnNode();
        publish(node, mine.attrs());
        Lease l = new Lease(mine.subnet(), published(node, mine.attrs()), clock.instant().plus(TERM), mine.ipv6Subnet());
        own.held(l, false);
        return l;
    }

    private static Map<String, String> annotations(Node node) {
        return node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations();
    }

    /** What the node's annotations should say for {@code attrs}: public-ip-overwrite, if set, as public-ip. */
    private Map<String, String> wanted(Node node, LeaseRecord attrs) {
        return keys.encode(attrs, annotations(node));
    }

    /** Whether the node's annotations already say {@code attrs}. */
    private boolean carries(Node node, LeaseRecord attrs) {
        Map<String, String> have = annotations(node);
        return wanted(node, attrs).entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())));
    }

    /**
     * Writes the annotations only when they differ, so a restart does not touch the Node at all. Through the status
     * subresource, as flannel's AcquireLease does: the API server keeps metadata from a nodes/status patch, and so
     * the agent needs flannel's ClusterRole only (patch on nodes/status, which cannot change a node's spec).
     */
    private void publish(Node node, LeaseRecord attrs) {
        if (carries(node, attrs)) return;
        Map<String, String> want = wanted(node, attrs);
        if (want.containsKey(keys.publicIp()) && !want.get(keys.publicIp()).equals(attrs.publicIp().toString())) {
            LOG.info("publishing public IP " + want.get(keys.publicIp()) + " from " + keys.publicIpOverwrite() + " instead of "
                    + attrs.publicIp());
        }
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode annotations = patch.putObject("metadata").putObject("annotations");
        want.forEach(annotations::put);
        try {
            // A merge patch: annotations are a map, merged key by key, so other annotations stay as they are.
            client.nodes().withName(nodeName).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
        } catch (KubernetesClientException e) {
            throw ApiErrors.apiError("PATCH node " + nodeName + "/status (annotations)", e);
        }
    }

    /**
     * Sets the node's NetworkUnavailable condition to False, as flannel does: on clouds whose node controller sets
     * it True at registration, pods are not scheduled on the node until the network plugin clears it. A failure is
     * logged, not fatal (the condition is absent on most clusters).
     */
    private void markNetworkAvailable() {
        String now = clock.instant().toString().replaceAll("\\.\\d+Z$", "Z");
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode cond = patch.putObject("status").putArray("conditions").addObject();
        cond.put("type", "NetworkUnavailable");
        cond.put("status", "False");
        cond.put("reason", "WeftIsUp");
        cond.put("message", "weft is running on this node");
        cond.put("lastTransitionTime", now);
        cond.put("lastHeartbeatTime", now);
        try {
            // Strategic merge, not JSON merge: conditions is a list merged by type, and a JSON merge patch would
            // replace kubelet's conditions with this one.
            client.nodes().withName(nodeName).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch.toString());
        } catch (KubernetesClientException e) {
            LOG.warning("could not set node " + nodeName + " condition NetworkUnavailable=False: " + ApiErrors.describe(e));
        }
    }

    /** Whether the node already says NetworkUnavailable=False, so that a restart does not write the Node at all. */
    private static boolean networkAvailable(Node node) {
        return node.getStatus() != null && node.getStatus().getConditions() != null && node.getStatus().getConditions()
                .stream().anyMatch(c -> "NetworkUnavailable".equals(c.getType()) && "False".equals(c.getStatus()));
    }

    private Node getOwnNode() {
        Node node;
        try {
            node = client.nodes().withName(nodeName).get();
        } catch (KubernetesClientException e) {
            throw ApiErrors.apiError("GET node " + nodeName, e);
        }
        if (node == null) {
            throw new SubnetException("node " + nodeName + " does not exist in the Kubernetes API (is NODE_NAME this node's name?)");
        }
        return node;
    }

    private synchronized void startInformer() {
        if (informer != null) return;
        // the cache keeps of each Node only its lease (LeaseNodeStore); no index is read
        SharedIndexInformer<Node> nodes = client.nodes().runnableInformer(0).itemStore(new LeaseNodeStore(keys))
                .removeNamespaceIndex();
        try {
            nodes.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Node n) {
                    record(n);
                }

                @Override
                public void onUpdate(Node before, Node after) {
                    if (!PodCidrs.leaseFields(before, keys).equals(PodCidrs.leaseFields(after, keys))) record(after);
                }

                @Override
                public void onDelete(Node n, boolean finalStateUnknown) {
                    forget(n.getMetadata().getName());
                }
            });
            nodes.run(); // returns once the first list is in the cache
            informer = nodes;
        } catch (KubernetesClientException e) {
            nodes.close();
            throw ApiErrors.apiError("LIST/WATCH nodes", e);
        }
        // the informer's first list is in its store now; its add notifications follow on another thread
        informer.getStore().list().forEach(this::record);
        if (outageWatch == null) outageWatch = new ApiOutageWatch(client, OUTAGE_CHECK, this::relist);
    }

    /** A fresh LIST and WATCH; a Node deleted meanwhile, which the new list no longer has, is forgotten. */
    private synchronized void relist() {
        if (informer == null) return; // not started yet, or closed
        informer.close();
        informer = null;
        startInformer();
        java.util.Set<String> listed = informer.getStore().list().stream().map(n -> n.getMetadata().getName()).collect(java.util.stream.Collectors.toSet());
        nodeSubnets.keySet().stream().filter(name -> !listed.contains(name)).toList().forEach(this::forget);
    }

    private void forget(String node) {
        IpCidr gone = nodeSubnets.remove(node);
        if (gone != null) book.remove(gone);
        reported.remove(node);
    }

    @Override
    protected void catchUp() {
        startInformer();
    }

    @Override
    protected Lease rewrite(Lease mine, boolean gone) {
        return republish(mine);
    }

    @Override
    public synchronized String connection() {
        return informer == null || informer.isWatching() ? null : "not watching Nodes in the Kubernetes API (reconnecting)";
    }

    /**
     * A Node as the informer reports it, into the book. A known node whose annotations turn malformed or vanish
     * keeps its last good record (its agent publishes them again); one never seen well is logged once per problem.
     */
    private void record(Node n) {
        String name = n.getMetadata().getName();
        Map<String, String> a = n.getMetadata().getAnnotations();
        IpCidr known = nodeSubnets.get(name);
        String problem;
        IpCidr candidate = null; // the subnet the node's problem is filed under, when it is in the network
        try {
            Ipv4Cidr subnet = conf.enableIPv4() ? PodCidrs.ipv4(n) : null;
            if (subnet != null && conf.network().contains(subnet)) candidate = subnet;
            if (!conf.enableIPv4() && PodCidrs.ipv6(n) instanceof Ipv6Cidr c && conf.ipv6Network().contains(c)) candidate = c;
            if (!keys.present(a)) {
                if (known == null) return; // its agent has not published yet: not an error
                problem = "its " + keys.kubeSubnetManager() + " annotation was removed";
            } else if (subnet == null && conf.enableIPv4()) {
                problem = "has " + keys.backendType() + " but no spec.podCIDR";
            } else if (subnet != null && !conf.network().contains(subnet)) {
                problem = "spec.podCIDR " + subnet + " is outside the Network " + conf.network();
            } else {
                LeaseRecord r = keys.decode(a, conf.enableIPv4(), conf.enableIPv6());
                Ipv6Cidr subnet6 = r.hasIpv6() ? PodCidrs.ipv6(n) : null;
                if (r.hasIpv6() && (subnet6 == null || !conf.ipv6Network().contains(subnet6))) {
                    throw new IllegalArgumentException(subnet6 == null ? "has " + keys.publicIpv6() + " but no IPv6 entry in"
                            + " spec.podCIDRs" : "spec.podCIDRs entry " + subnet6 + " is outside the IPv6Network " + conf.ipv6Network());
                }
                if (subnet == null && subnet6 == null) {
                    throw new IllegalArgumentException("has " + keys.backendType() + " but no " + keys.publicIpv6()
                            + " on an IPv6-only cluster");
                }
                IpCidr primary = subnet != null ? subnet : subnet6;
                reported.remove(name);
                if (known != null && !known.equals(primary)) book.remove(known);
                nodeSubnets.put(name, primary);
                book.put(new Lease(subnet, r, clock.instant().plus(TERM), subnet6));
                return;
            }
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
        }
        IpCidr key = known != null ? known : candidate;
        if (key != null) {
            book.unreadable(key, "node " + name + ": " + problem);
        } else if (!problem.equals(reported.put(name, problem))) {
            LOG.warning("ignoring node " + name + ": " + problem);
        }
    }

    @Override
    public String toString() {
        return "the Kubernetes API (node " + nodeName + ", annotations " + keys.pattern() + ")";
    }

    @Override
    public synchronized void close() {
        if (outageWatch != null) outageWatch.close();
        if (informer != null) informer.close();
        informer = null;
        client.close();
    }
}
