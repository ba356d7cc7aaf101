package io.weft.lab.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD mock API server (a stand-in: no kube-apiserver can run here) with the two things of the real one
 * that the Kubernetes subnet manager depends on and the mock lacks:
 * <ul>
 *   <li>{@code PATCH nodes/<name>/status} keeps metadata (annotations) and status from the patch and the node's spec
 *       from before, as kube-apiserver's node status strategy does; flannel writes its annotations that way
 *       (pkg/subnet/kube/kube.go AcquireLease). The mock alone keeps only the status. Merge patches and strategic
 *       merge patches (status.conditions merged by type) are both applied.</li>
 *   <li>RBAC: requests carrying {@link #AGENT_TOKEN} are allowed only what the given ClusterRole rules allow (403
 *       otherwise, as the API server answers); other requests are the test's own, an administrator's.</li>
 * </ul>
 * Every request the agent makes is recorded as "verb resource" for tests to check.
 */
public final class ApiServerStandIn extends KubernetesCrudDispatcher {
    /** The bearer token the agent's client sends, to tell its requests from the test's. */
    public static final String AGENT_TOKEN = "weft-agent";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NODE_STATUS = Pattern.compile("^/api/v1/nodes/([^/?]+)/status$");

    private final List<PolicyRule> rules;
    private final List<String> agentRequests = new CopyOnWriteArrayList<>();

    /** @param rules what the agent is allowed; null allows everything */
    public ApiServerStandIn(List<PolicyRule> rules) {
        this.rules = rules;
    }

    /** The rules of the one ClusterRole in a manifest (k8s-manifests/weft.yaml). */
    public static List<PolicyRule> clusterRoleRules(Path manifest) throws IOException {
        try (KubernetesClient c = new KubernetesClientBuilder().build(); InputStream in = Files.newInputStream(manifest)) {
            List<HasMetadata> docs = c.load(in).items(); // parsed here, nothing is sent
            return docs.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no ClusterRole in " + manifest)).getRules();
        }
    }

    /** "verb resource" of each request the agent made, e.g. "patch nodes/status". */
    public List<String> agentRequests() {
        return List.copyOf(agentRequests);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        String auth = request.getHeader("Authorization");
        if (auth != null && auth.endsWith(AGENT_TOKEN)) {
            String[] vr = verbAndResource(request.method(), bare, path);
            if (vr != null) {
                agentRequests.add(vr[0] + " " + vr[1]);
                if (rules != null && !allowed(vr[0], vr[1])) {
                    return status(403, "Forbidden", vr[1] + " is forbidden: User \"system:serviceaccount:weft:weft\" cannot "
                            + vr[0] + " resource \"" + vr[1] + "\" in API group \"\" at the cluster scope");
                }
            }
        }
        Matcher m = NODE_STATUS.matcher(bare);
        if (request.method() == HttpMethod.PATCH && m.matches()) return patchNodeStatus(request, m.group(1));
        return super.dispatch(request);
    }

    private boolean allowed(String verb, String resource) {
        for (PolicyRule r : rules) {
            if (r.getApiGroups().contains("") && r.getResources().contains(resource)
                    && (r.getVerbs().contains(verb) || r.getVerbs().contains("*"))) {
                return true;
            }
        }
        return false;
    }

    /** What RBAC sees of a core-group request: {verb, resource}, or null for discovery paths (allowed to everyone). */
    static String[] verbAndResource(HttpMethod method, String bare, String full) {
        Matcher m = Pattern.compile("^/api/v1/(?:namespaces/[^/]+/)?([a-z]+)(?:/([^/]+))?(?:/([a-z]+))?$").matcher(bare);
        if (!m.matches()) return null;
        String resource = m.group(1) + (m.group(3) != null ? "/" + m.group(3) : "");
        boolean named = m.group(2) != null;
        String verb = switch (method) {
            case GET -> full.contains("watch=true") ? "watch" : named ? "get" : "list";
            case POST -> "create";
            case PUT -> "update";
            case PATCH -> "patch";
            case DELETE -> "delete";
            default -> method.name().toLowerCase();
        };
        return new String[] {verb, resource};
    }

    /** kube-apiserver's nodes/status: metadata and status from the patch, spec as it was. */
    private MockResponse patchNodeStatus(RecordedRequest request, String name) {
        MockResponse current = super.handleGet("/api/v1/nodes/" + name);
        if (current.code() != 200) return current;
        try {
            ObjectNode before = (ObjectNode) JSON.readTree(current.getBody().readUtf8());
            JsonNode patch = JSON.readTree(request.getUtf8Body());
            String type = String.valueOf(request.getHeader("Content-Type"));
            boolean strategic = type.startsWith("application/strategic-merge-patch+json");
            if (!strategic && !type.startsWith("application/merge-patch+json")) {
                return status(415, "UnsupportedMediaType", "the stand-in applies merge and strategic merge patches only");
            }
            ObjectNode after = (ObjectNode) merge(before.deepCopy(), patch, "", strategic);
            after.set("spec", before.get("spec"));
            String body = JSON.writeValueAsString(after);
            MockResponse r = super.handleUpdate(put("/api/v1/nodes/" + name, body));
            if (r.code() >= 300) return r;
            return super.handleUpdate(put("/api/v1/nodes/" + name + "/status", body));
        } catch (IOException e) {
            return status(400, "BadRequest", e.getMessage());
        }
    }

    private static RecordedRequest put(String path, String body) {
        return new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path,
                Headers.builder().add("Content-Type", "application/json").build(), new Buffer(body.getBytes()));
    }

    /** RFC 7386 merge; with {@code strategic}, status.conditions merged element by element on "type". */
    static JsonNode merge(JsonNode target, JsonNode patch, String path, boolean strategic) {
        if (strategic && path.equals(".status.conditions") && patch.isArray()) {
            ArrayNode out = target != null && target.isArray() ? (ArrayNode) target.deepCopy() : JSON.createArrayNode();
            for (JsonNode p : patch) {
                int at = -1;
                for (int i = 0; i < out.size(); i++) if (out.get(i).path("type").equals(p.path("type"))) at = i;
                if (at < 0) out.add(p);
                else out.set(at, merge(out.get(at), p, path + "[]", true));
            }
            return out;
        }
        if (!patch.isObject()) return patch;
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) out.remove(e.getKey());
            else out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue(), path + "." + e.getKey(), strategic));
        }
        return out;
    }

    private static MockResponse status(int code, String reason, String message) {
        ObjectNode s = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
                .put("message", message).put("reason", reason).put("code", code);
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(s.toString());
    }
}
