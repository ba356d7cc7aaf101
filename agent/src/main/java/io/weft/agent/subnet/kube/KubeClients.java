package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.weft.agent.subnet.SubnetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The API client for the Kubernetes subnet manager, configured the way flanneld's flags configure its own. */
public final class KubeClients {
    private KubeClients() {}

    /**
     * From {@code kubeconfig} if given, else the usual discovery (in-cluster service account, $KUBECONFIG,
     * ~/.kube/config); {@code apiUrl}, if given, replaces the server address either way.
     */
    public static KubernetesClient create(Path kubeconfig, String apiUrl) {
        Config cfg;
        if (kubeconfig != null) {
            String text;
            try {
                text = Files.readString(kubeconfig);
            } catch (IOException e) {
                throw new SubnetException("--kubeconfig-file " + kubeconfig + ": cannot read it (" + e.getMessage() + ")", e);
            }
            try {
                cfg = Config.fromKubeconfig(text);
            } catch (RuntimeException e) {
                throw new SubnetException("--kubeconfig-file " + kubeconfig + ": not a usable kubeconfig (" + e.getMessage() + ")", e);
            }
        } else {
            cfg = Config.autoConfigure(null);
        }
        if (apiUrl != null) cfg.setMasterUrl(apiUrl);
        if (cfg.getMasterUrl() == null || cfg.getMasterUrl().isBlank()) {
            throw new SubnetException("no Kubernetes API server: not in a pod, no kubeconfig; give --kube-api-url or --kubeconfig-file");
        }
        // Watches are long-lived; the client re-establishes them itself. Requests should fail fast and be retried by
        // the agent's loop rather than hang a resync.
        cfg.setRequestTimeout(10_000);
        cfg.setConnectionTimeout(5_000);
        // fabric8 retries a failed request 10 times with exponential backoff (~20 s against a dead server); at start-up
        // an unreachable API server should be named within seconds.
        cfg.setRequestRetryBackoffLimit(3);
        cfg.setRequestRetryBackoffInterval(500);
        // A broken Node watch is re-established with exponential back-off from this interval (fabric8 caps it at 32
        // times the interval): after an API server outage the agent watches again within ~16 s, not ~32 s.
        cfg.setWatchReconnectInterval(500);
        return new KubernetesClientBuilder().withConfig(cfg).build();
    }
}
