package io.weft.agent.subnet.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * flannel's node annotations, which carry a node's lease in the Kubernetes subnet manager:
 * {@code <prefix>/backend-type}, {@code <prefix>/backend-data} (the lease's BackendData as JSON),
 * {@code <prefix>/public-ip} and {@code <prefix>/kube-subnet-manager: "true"}. The same keys and values
 * flannel writes, so flannel nodes and weft nodes read each other's.
 */
public final class NodeAnnotations {
    public static final String DEFAULT_PREFIX = "flannel.alpha.coreos.com";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String prefix;

    public NodeAnnotations(String prefix) {
        if (prefix == null || prefix.isBlank() || prefix.contains("/")) {
            throw new IllegalArgumentException("--kube-annotation-prefix: '" + prefix + "' must be a DNS-style prefix without '/'");
        }
        this.prefix = prefix;
    }

    public String backendType() {
        return prefix + "/backend-type";
    }

    public String backendData() {
        return prefix + "/backend-data";
    }

    public String publicIp() {
        return prefix + "/public-ip";
    }

    /** Set by an operator on a node to publish another address than the one the agent found (as in flannel). */
    public String publicIpOverwrite() {
        return prefix + "/public-ip-overwrite";
    }

    public String kubeSubnetManager() {
        return prefix + "/kube-subnet-manager";
    }

    /** The annotations that publish {@code attrs}. */
    public Map<String, String> encode(LeaseRecord attrs) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(backendData(), attrs.backendData() == null ? "null" : attrs.backendData().toString());
        m.put(backendType(), attrs.backendType());
        m.put(kubeSubnetManager(), "true");
        m.put(publicIp(), attrs.publicIp().toString());
        return m;
    }

    /** Whether the node carries a lease at all (a node whose agent has not started yet carries none). */
    public boolean present(Map<String, String> annotations) {
        return annotations != null && annotations.containsKey(backendType()) && annotations.containsKey(publicIp());
    }

    /**
     * The lease a node's annotations publish. A malformed one is refused with the annotation's name.
     * The public IP is {@code public-ip-overwrite} when set, as flannel reads it.
     */
    public LeaseRecord decode(Map<String, String> annotations) {
        String type = require(annotations, backendType());
        String ipKey = annotations.containsKey(publicIpOverwrite()) ? publicIpOverwrite() : publicIp();
        Ipv4Address ip;
        try {
            ip = Ipv4Address.parse(require(annotations, ipKey).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ipKey + ": " + e.getMessage());
        }
        String raw = annotations.get(backendData());
        JsonNode data = NullNode.getInstance();
        if (raw != null && !raw.isBlank()) {
            try {
                data = JSON.readTree(raw);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(backendData() + ": not valid JSON: " + e.getOriginalMessage());
            }
        }
        if ("vxlan".equals(type)) {
            if (data == null || !data.isObject()) throw new IllegalArgumentException(backendData() + ": missing for a vxlan node");
            LeaseRecord r = new LeaseRecord(ip, type, data);
            if (r.vtepMac() == null) throw new IllegalArgumentException(backendData() + ": VtepMAC missing or not a MAC address");
            if (r.vni() < 0) throw new IllegalArgumentException(backendData() + ": VNI missing or not a number");
            return r;
        }
        return new LeaseRecord(ip, type, data == null ? NullNode.getInstance() : data);
    }

    private static String require(Map<String, String> a, String key) {
        String v = a == null ? null : a.get(key);
        if (v == null || v.isBlank()) throw new IllegalArgumentException(key + ": missing");
        return v;
    }
}
