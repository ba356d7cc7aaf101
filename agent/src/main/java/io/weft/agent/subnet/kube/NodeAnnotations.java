package io.weft.agent.subnet.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * flannel's node annotations, which carry a node's lease in the Kubernetes subnet manager:
 * {@code <prefix>/backend-type}, {@code <prefix>/backend-data} (the lease's BackendData as JSON),
 * {@code <prefix>/public-ip} and {@code <prefix>/kube-subnet-manager: "true"}. The same keys and values
 * flannel writes, so flannel nodes and weft nodes read each other's. Two more are an operator's:
 * {@code public-ip-overwrite} (the address the node publishes instead of the one it found) and {@code node-public-ip}
 * (the address the node uses as its own, as if given by --public-ip).
 */
public final class NodeAnnotations {
    public static final String DEFAULT_PREFIX = "flannel.alpha.coreos.com";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** flannel's pkg/subnet/kube/annotations.go newAnnotations: unanchored at the start, as Go's MatchString is. */
    private static final Pattern FORMAT = Pattern.compile("(?:[a-z0-9_-]+\\.)+[a-z0-9_-]+/(?:[a-z0-9_-]+-)?$");

    private final String prefix; // ends with "/" or "-"; a key is the prefix and a name

    /**
     * As flannel's newAnnotations: at most one '/'; without one, "/" is appended ("example.com" gives
     * "example.com/backend-type"); with one not at the end, "-" is ("example.com/net" gives
     * "example.com/net-backend-type"); the result must look like "fqdn/[a-z0-9_-]*".
     */
    public NodeAnnotations(String given) {
        String p = given == null ? "" : given;
        long slashes = p.chars().filter(c -> c == '/').count();
        if (slashes > 1) {
            throw new IllegalArgumentException("--kube-annotation-prefix: '" + given + "' has more than one '/'");
        }
        if (slashes == 0) p += "/";
        if (!p.endsWith("/") && !p.endsWith("-")) p += "-";
        if (!FORMAT.matcher(p).find()) {
            throw new IllegalArgumentException("--kube-annotation-prefix: '" + given + "' must look like a DNS name, "
                    + "optionally with one '/' and a lower-case suffix (example.com or example.com/net), as flannel's");
        }
        this.prefix = p;
    }

    public String backendType() {
        return prefix + "backend-type";
    }

    public String backendData() {
        return prefix + "backend-data";
    }

    public String publicIp() {
        return prefix + "public-ip";
    }

    /** Set by an operator to publish another address than the one the agent found; flannel copies it to public-ip. */
    public String publicIpOverwrite() {
        return prefix + "public-ip-overwrite";
    }

    /** Set by an operator to give the node its address, as --public-ip would (flannel's GetStoredPublicIP). */
    public String nodePublicIp() {
        return prefix + "node-public-ip";
    }

    public String kubeSubnetManager() {
        return prefix + "kube-subnet-manager";
    }

    /** All of this prefix's keys, as "prefix*" for messages. */
    public String pattern() {
        return prefix + "*";
    }

    /**
     * The annotations that publish {@code attrs} on a node that has {@code current}: public-ip is the node's
     * public-ip-overwrite when an operator set one, as flannel's AcquireLease writes it, since peers read public-ip only.
     */
    public Map<String, String> encode(LeaseRecord attrs, Map<String, String> current) {
        Map<String, String> m = encode(attrs);
        String overwrite = current == null ? null : current.get(publicIpOverwrite());
        if (overwrite != null && !overwrite.isEmpty()) m.put(publicIp(), overwrite);
        return m;
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

    /**
     * Whether the node carries a lease at all: flannel's handleAddLeaseEvent takes only nodes whose kube-subnet-manager
     * annotation is "true" (a node whose agent has not started yet carries none).
     */
    public boolean present(Map<String, String> annotations) {
        return annotations != null && "true".equals(annotations.get(kubeSubnetManager()));
    }

    /**
     * The lease a node's annotations publish. A malformed one is refused with the annotation's name.
     * The public IP is public-ip's alone, as flannel's nodeToLease reads it: the node's own agent has copied any
     * public-ip-overwrite there.
     */
    public LeaseRecord decode(Map<String, String> annotations) {
        String type = require(annotations, backendType());
        String ipKey = publicIp();
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
