package io.weft.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.subnet.kube.KubeClients;
import io.weft.agent.subnet.kube.KubeSubnetManager;
import io.weft.agent.subnet.kube.NodeAnnotations;
import io.weft.core.config.NetConf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** flanneld's Kubernetes flags (main.go), and the Kubernetes subnet manager they make. */
public final class KubeFlags {
    @Option(names = "--kube-subnet-mgr", arity = "0..1", description = "Take this node's subnet from its spec.podCIDR and publish "
            + "the lease in flannel's node annotations (the Kubernetes subnet manager); the node is $NODE_NAME, else "
            + "$POD_NAMESPACE/$POD_NAME's node.")
    boolean enabled;

    @Option(names = "--kubeconfig-file", description = "kubeconfig for --kube-subnet-mgr (default: in-cluster service account, "
            + "else $KUBECONFIG or ~/.kube/config).")
    Path kubeconfigFile;

    @Option(names = "--kube-api-url", description = "API server URL for --kube-subnet-mgr, overriding the kubeconfig's.")
    String apiUrl;

    @Option(names = "--kube-annotation-prefix", defaultValue = NodeAnnotations.DEFAULT_PREFIX,
            description = "Prefix of the node annotations that carry leases (default: ${DEFAULT-VALUE}, flannel's); one '/' at most, "
                    + "\"example.com/net\" gives example.com/net-backend-type.")
    String annotationPrefix;

    @Option(names = "--set-node-network-unavailable", arity = "0..1", defaultValue = "true",
            description = "Set the node's NetworkUnavailable condition to False once the agent runs (default: ${DEFAULT-VALUE}).")
    boolean setNodeNetworkUnavailable;

    /** The flags that mean something with --kube-subnet-mgr only, as given. */
    List<String> givenWithoutManager() {
        List<String> out = new ArrayList<>();
        if (kubeconfigFile != null) out.add("--kubeconfig-file");
        if (apiUrl != null) out.add("--kube-api-url");
        return out;
    }

    SubnetManager create(NetConf conf, Map<String, String> env) {
        NodeAnnotations keys = new NodeAnnotations(annotationPrefix);
        KubernetesClient client = KubeClients.create(kubeconfigFile, apiUrl);
        try {
            return new KubeSubnetManager(client, KubeSubnetManager.nodeName(client, env), conf, keys, setNodeNetworkUnavailable);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }
}
