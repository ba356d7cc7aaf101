package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.client.KubernetesClient;

final class KubeClientsTestSupport {
    private KubeClientsTestSupport() {}

    /** A client for {@code url} the way weftd builds one from --kube-api-url. */
    static KubernetesClient clientFor(String url) {
        try {
            return KubeClients.create(null, url);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
