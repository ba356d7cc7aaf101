package io.weft.agent.subnet.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * flannel's node annotations, which carry a node's lease in the Kubernetes subnet manager:
 * {@code <prefix>/backend-type}, {@code <prefix>/backend-data} (the lease's BackendData as JSON),
 * {@code <prefix>/public-ip} and {@code <prefix>/kube-subnet-manager: "true"}. The same keys and values
 * flannel writes, so flannel nodes and weft nodes read each other's. Two more are an operator's:
 * {@code public-ip-overwrite} (the address the node publishes instead of the one it found) and {@code node-public-ip}
 * (the address the node uses as its own, as if given by --public-ip). IPv6 has the same four
 * (pkg/subnet/kube/annotations.go newAnnotations): {@code backend-v6-data}, {@code public-ipv6},
 * {@code public-ipv6-overwrite}, {@code node-public-ipv6}.
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

    public String backendV6Data() {
        return prefix + "backend-v6-data";
    }

    public String publicIpv6() {
        return prefix + "public-ipv6";
    }

    /** As {@link #publicIpOverwrite()}, for the IPv6 address. */
    public String publicIpv6Overwrite() {
        return prefix + "public-ipv6-overwrite";
    }

    /** As {@link #nodePublicIp()}, for the IPv6 address (--public-ipv6). */
    public String nodePublicIpv6() {
        return prefix + "node-public-ipv6";
    }

    /** Every annotation a lease is made of, for telling a lease change from a heartbeat. */
    public List<String> leaseKeys() {
        return List.of(backendType(), backendData(), publicIp(), publicIpOverwrite(), kubeSubnetManager(),
                backendV6Data(), publicIpv6(), publicIpv6Overwrite());
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
        if (m.containsKey(publicIp()) && overwrite != null && !overwrite.isEmpty()) m.put(publicIp(), overwrite);
        String overwrite6 = current == null ? null : current.get(publicIpv6Overwrite());
        if (m.containsKey(publicIpv6()) && overwrite6 != null && !overwrite6.isEmpty()) m.put(publicIpv6(), overwrite6);
        return m;
    }

    /**
     * The annotations that publish {@code attrs}, each family's as flannel's AcquireLease (pkg/subnet/kube/kube.go)
     * writes them: backend-data and public-ip unless a vxlan or wireguard lease has no IPv4 side (BackendData null),
     * backend-v6-data and public-ipv6 when a vxlan lease has BackendV6Data, a wireguard one BackendV6Data and
     * PublicIPv6, a host-gw one PublicIPv6; a missing BackendData is written "null", as Go's json.RawMessage marshals.
     */
    public Map<String, String> encode(LeaseRecord attrs) {
        Map<String, String> m = new LinkedHashMap<>();
        String type = attrs.backendType();
        boolean tunnel = "vxlan".equals(type) || "wireguard".equals(type);
        if (!tunnel || !attrs.backendData().isNull()) {
            m.put(backendData(), attrs.backendData().toString());
            m.put(publicIp(), attrs.publicIp().toString());
        }
        m.put(backendType(), type);
        m.put(kubeSubnetManager(), "true");
        boolean v6 = switch (type) {
            case "vxlan" -> !attrs.backendV6Data().isNull();
            case "wireguard" -> !attrs.backendV6Data().isNull() && attrs.publicIpv6() != null;
            case "host-gw" -> attrs.publicIpv6() != null;
            default -> false;
        };
        if (v6) {
            m.put(backendV6Data(), attrs.backendV6Data().toString());
            m.put(publicIpv6(), String.valueOf(attrs.publicIpv6()));
        }
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
        return decode(annotations, false);
    }

    /**
     * As {@link #decode(Map)}, and with {@code ipv6} the IPv6 side too, as flannel's nodeToLease reads it with
     * EnableIPv6: public-ipv6 and backend-v6-data. A node that publishes no public-ipv6 is read as IPv4-only (flannel
     * drops the whole node), so that a node still without IPv6 keeps its IPv4 routes while a cluster turns IPv6 on.
     */
    public LeaseRecord decode(Map<String, String> annotations, boolean ipv6) {
        LeaseRecord v4 = decodeIpv4(annotations);
        String ip6Text = ipv6 && annotations != null ? annotations.get(publicIpv6()) : null;
        if (ip6Text == null || ip6Text.isBlank()) return v4;
        Ipv6Address ip6;
        try {
            ip6 = Ipv6Address.parse(ip6Text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(publicIpv6() + ": " + e.getMessage());
        }
        JsonNode data6 = json(annotations, backendV6Data());
        LeaseRecord r = v4.withIpv6(ip6, data6);
        if ("vxlan".equals(v4.backendType())) {
            if (!data6.isObject()) throw new IllegalArgumentException(backendV6Data() + ": missing for a vxlan node with " + publicIpv6());
            if (r.vtepMacV6() == null) throw new IllegalArgumentException(backendV6Data() + ": VtepMAC missing or not a MAC address");
            if (r.vniV6() < 0) throw new IllegalArgumentException(backendV6Data() + ": VNI missing or not a number");
        }
        return r;
    }

    private JsonNode json(Map<String, String> annotations, String key) {
        String raw = annotations.get(key);
        if (raw == null || raw.isBlank()) return NullNode.getInstance();
        try {
            return JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(key + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    private LeaseRecord decodeIpv4(Map<String, String> annotations) {
        String type = require(annotations, backendType());
        String ipKey = publicIp();
        Ipv4Address ip;
        try {
            ip = Ipv4Address.parse(require(annotations, ipKey).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ipKey + ": " + e.getMessage());
        }
        JsonNode data = json(annotations, backendData());
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
