package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.weft.agent.subnet.SubnetException;

/** One line for a failed API request: what was asked, and what the operator can do about the answer. */
final class ApiErrors {
    private ApiErrors() {}

    static SubnetException apiError(String what, KubernetesClientException e) {
        return new SubnetException("Kubernetes API: " + what + ": " + describe(e), e);
    }

    static String describe(KubernetesClientException e) {
        if (e.getCode() == 403) {
            return "forbidden (" + e.getStatus().getMessage() + "): the weft ClusterRole must allow get, list, watch on "
                    + "nodes and patch on nodes/status (and get on pods when NODE_NAME is not set), as flannel's";
        }
        if (e.getCode() > 0) return e.getCode() + " " + (e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage());
        Throwable c = e.getCause();
        return c != null ? "cannot reach the API server: " + c : e.getMessage();
    }
}
