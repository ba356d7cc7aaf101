package io.weft.core.lease;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;

/**
 * The value flannel stores for a subnet lease: {"PublicIP","BackendType","BackendData":{"VNI","VtepMAC"}}.
 * BackendData is kept as JSON because its shape belongs to the backend (null for host-gw).
 */
public record LeaseRecord(Ipv4Address publicIp, String backendType, JsonNode backendData) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public static LeaseRecord vxlan(Ipv4Address publicIp, int vni, MacAddress vtepMac) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("VNI", vni);
        data.put("VtepMAC", vtepMac.toString());
        return new LeaseRecord(publicIp, "vxlan", data);
    }

    /**
     * A wireguard lease as flannel writes it (pkg/backend/wireguard: wireguardLeaseAttrs): BackendData
     * {@code {"PublicKey":"<base64>","Port":51820}}.
     */
    public static LeaseRecord wireguard(Ipv4Address publicIp, String publicKey, int port) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("PublicKey", publicKey);
        data.put("Port", port);
        return new LeaseRecord(publicIp, "wireguard", data);
    }

    public static LeaseRecord hostGw(Ipv4Address publicIp) {
        return new LeaseRecord(publicIp, "host-gw", NullNode.getInstance());
    }

    /** The peer's VTEP MAC, or null when the lease carries none (host-gw, or a malformed peer). */
    public MacAddress vtepMac() {
        JsonNode n = backendData == null ? null : backendData.get("VtepMAC");
        if (n == null || !n.isTextual()) return null;
        try {
            return MacAddress.parse(n.asText());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A wireguard peer's public key (base64), or null when the lease carries none. */
    public String publicKey() {
        JsonNode n = backendData == null ? null : backendData.get("PublicKey");
        return n == null || !n.isTextual() ? null : n.asText();
    }

    /**
     * A wireguard peer's listen port, or 0 when the lease has none (flannel before it published ports: the peer then
     * listens on our own ListenPort, as flannel assumes).
     */
    public int wireguardPort() {
        JsonNode n = backendData == null ? null : backendData.get("Port");
        return n == null || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > 65535 ? 0 : n.intValue();
    }

    public int vni() {
        JsonNode n = backendData == null ? null : backendData.get("VNI");
        return n == null ? -1 : n.asInt(-1);
    }

    public String toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("PublicIP", publicIp.toString());
        o.put("BackendType", backendType);
        o.set("BackendData", backendData == null ? NullNode.getInstance() : backendData);
        return o.toString();
    }

    /** Parses a lease value; a malformed one is refused with the field that is wrong. */
    public static LeaseRecord parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("lease is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("lease is not a JSON object");
        JsonNode ip = root.get("PublicIP");
        if (ip == null || !ip.isTextual()) throw new IllegalArgumentException("lease PublicIP missing or not a string");
        Ipv4Address publicIp;
        try {
            publicIp = Ipv4Address.parse(ip.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lease PublicIP: " + e.getMessage());
        }
        JsonNode type = root.get("BackendType");
        if (type != null && !type.isNull() && !type.isTextual()) {
            throw new IllegalArgumentException("lease BackendType is not a string: " + type);
        }
        String backendType = type == null || type.isNull() ? "" : type.asText();
        JsonNode data = root.get("BackendData");
        return new LeaseRecord(publicIp, backendType, data == null ? NullNode.getInstance() : data);
    }
}
