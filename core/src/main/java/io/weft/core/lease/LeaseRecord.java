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
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;

/**
 * The value flannel stores for a subnet lease, its LeaseAttrs (pkg/lease/lease.go):
 * {"PublicIP","PublicIPv6","BackendType","BackendData":{"VNI","VtepMAC"},"BackendV6Data":{"VNI","VtepMAC"}}.
 * BackendData and BackendV6Data are kept as JSON because their shape belongs to the backend; each is
 * {@link NullNode} when absent (host-gw, or the family is off). An IPv6-only lease has PublicIP 0.0.0.0, as flannel's
 * zero ip.IP4 marshals.
 *
 * @param publicIpv6    the node's IPv6 underlay address, null without IPv6
 * @param backendV6Data the IPv6 side's backend data (the {@code flannel-v6.<VNI>} VTEP for vxlan)
 */
public record LeaseRecord(Ipv4Address publicIp, String backendType, JsonNode backendData,
                          Ipv6Address publicIpv6, JsonNode backendV6Data) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** flannel's zero ip.IP4: the PublicIP of a lease without IPv4. */
    public static final Ipv4Address NO_IPV4 = new Ipv4Address(0);

    public LeaseRecord {
        if (publicIp == null) publicIp = NO_IPV4;
        if (backendData == null || backendData.isMissingNode()) backendData = NullNode.getInstance();
        if (backendV6Data == null || backendV6Data.isMissingNode()) backendV6Data = NullNode.getInstance();
    }

    /** An IPv4-only record. */
    public LeaseRecord(Ipv4Address publicIp, String backendType, JsonNode backendData) {
        this(publicIp, backendType, backendData, null, null);
    }

    public static LeaseRecord vxlan(Ipv4Address publicIp, int vni, MacAddress vtepMac) {
        return new LeaseRecord(publicIp, "vxlan", vxlanData(vni, vtepMac));
    }

    /**
     * A vxlan lease for any mix of families, as flannel's vxlan newSubnetAttrs (pkg/backend/vxlan/vxlan.go) builds it:
     * PublicIP and BackendData only with an IPv4 address and VTEP ({@code flannel.<VNI>}), PublicIPv6 and
     * BackendV6Data only with an IPv6 address and VTEP ({@code flannel-v6.<VNI>}); pass null for a family that is off.
     */
    public static LeaseRecord vxlan(Ipv4Address publicIp, MacAddress vtepMac, Ipv6Address publicIpv6,
                                    MacAddress vtepMacV6, int vni) {
        boolean v4 = publicIp != null && vtepMac != null;
        boolean v6 = publicIpv6 != null && vtepMacV6 != null;
        return new LeaseRecord(v4 ? publicIp : NO_IPV4, "vxlan", v4 ? vxlanData(vni, vtepMac) : null,
                v6 ? publicIpv6 : null, v6 ? vxlanData(vni, vtepMacV6) : null);
    }

    private static ObjectNode vxlanData(int vni, MacAddress mac) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("VNI", vni);
        data.put("VtepMAC", mac.toString());
        return data;
    }

    /** This record with the IPv6 side set (or cleared, with nulls). */
    public LeaseRecord withIpv6(Ipv6Address publicIpv6, JsonNode backendV6Data) {
        return new LeaseRecord(publicIp, backendType, backendData, publicIpv6, backendV6Data);
    }

    /**
     * A wireguard lease as flannel writes it (pkg/backend/wireguard: wireguardLeaseAttrs): BackendData
     * {@code {"PublicKey":"<base64>","Port":51820}}.
     */
    public static LeaseRecord wireguard(Ipv4Address publicIp, String publicKey, int port) {
        return new LeaseRecord(publicIp, "wireguard", wireguardData(publicKey, port));
    }

    /**
     * A wireguard lease for any mix of families, as flannel's wireguard newSubnetAttrs builds it: BackendData
     * {@code {"PublicKey","Port"}} only with IPv4 ({@code publicIp} not null), BackendV6Data only with IPv6
     * ({@code publicIpv6} not null), each with the port of the device that carries that family (ListenPortV6's
     * {@code flannel-wg-v6} in separate mode, else {@code flannel-wg}'s ListenPort); the key is the same in both (one
     * key file). Pass null for a family that is off.
     */
    public static LeaseRecord wireguard(Ipv4Address publicIp, Ipv6Address publicIpv6, String publicKey, int port, int portV6) {
        return new LeaseRecord(publicIp == null ? NO_IPV4 : publicIp, "wireguard",
                publicIp == null ? null : wireguardData(publicKey, port), publicIpv6,
                publicIpv6 == null ? null : wireguardData(publicKey, portV6));
    }

    private static ObjectNode wireguardData(String publicKey, int port) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("PublicKey", publicKey);
        data.put("Port", port);
        return data;
    }

    public static LeaseRecord hostGw(Ipv4Address publicIp) {
        return new LeaseRecord(publicIp, "host-gw", NullNode.getInstance());
    }

    /** A host-gw lease as flannel's hostgw RegisterNetwork builds it: no backend data, each family's address or null. */
    public static LeaseRecord hostGw(Ipv4Address publicIp, Ipv6Address publicIpv6) {
        return new LeaseRecord(publicIp, "host-gw", null, publicIpv6, null);
    }

    /** The peer's VTEP MAC, or null when the lease carries none (host-gw, or a malformed peer). */
    public MacAddress vtepMac() {
        return mac(backendData);
    }

    /** The peer's IPv6 VTEP MAC (of its {@code flannel-v6.<VNI>}), or null when BackendV6Data carries none. */
    public MacAddress vtepMacV6() {
        return mac(backendV6Data);
    }

    /** The VNI in BackendV6Data, or -1. */
    public int vniV6() {
        return vni(backendV6Data);
    }

    /** Whether the record carries the IPv6 side (PublicIPv6). */
    public boolean hasIpv6() {
        return publicIpv6 != null;
    }

    /** The node's address for log lines and ownership checks: PublicIP, or PublicIPv6 on an IPv6-only lease. */
    public String holder() {
        return NO_IPV4.equals(publicIp) && publicIpv6 != null ? publicIpv6.toString() : publicIp.toString();
    }

    private static MacAddress mac(JsonNode data) {
        JsonNode n = data.get("VtepMAC");
        if (n == null || !n.isTextual()) return null;
        try {
            return MacAddress.parse(n.asText());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A wireguard peer's public key (base64) from BackendData, or null when the lease carries none. */
    public String publicKey() {
        return publicKey(backendData);
    }

    /** A wireguard peer's public key from BackendV6Data (its IPv6 side), or null. */
    public String publicKeyV6() {
        return publicKey(backendV6Data);
    }

    private static String publicKey(JsonNode data) {
        JsonNode n = data.get("PublicKey");
        return n == null || !n.isTextual() ? null : n.asText();
    }

    /**
     * A wireguard peer's listen port from BackendData, or 0 when the lease has none (flannel before it published
     * ports: the peer then listens on our own ListenPort, as flannel assumes).
     */
    public int wireguardPort() {
        return port(backendData);
    }

    /** The port in BackendV6Data (the device carrying the peer's IPv6 side), or 0 when it has none. */
    public int wireguardPortV6() {
        return port(backendV6Data);
    }

    private static int port(JsonNode data) {
        JsonNode n = data.get("Port");
        return n == null || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > 65535 ? 0 : n.intValue();
    }

    public int vni() {
        return vni(backendData);
    }

    private static int vni(JsonNode data) {
        JsonNode n = data.get("VNI");
        return n == null ? -1 : n.asInt(-1);
    }

    /**
     * The record in the bytes flannel's json.Marshal of LeaseAttrs writes: fields in its order, PublicIPv6 always
     * (null without IPv6: a pointer without omitempty), BackendType, BackendData and BackendV6Data only when set
     * (omitempty).
     */
    public String toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("PublicIP", publicIp.toString());
        if (publicIpv6 == null) o.putNull("PublicIPv6");
        else o.put("PublicIPv6", publicIpv6.toString());
        if (!backendType.isEmpty()) o.put("BackendType", backendType);
        if (!backendData.isNull()) o.set("BackendData", backendData);
        if (!backendV6Data.isNull()) o.set("BackendV6Data", backendV6Data);
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
        JsonNode ip6 = root.get("PublicIPv6");
        Ipv6Address publicIpv6 = null;
        if (ip6 != null && !ip6.isNull()) {
            if (!ip6.isTextual()) throw new IllegalArgumentException("lease PublicIPv6 is not a string: " + ip6);
            try {
                publicIpv6 = Ipv6Address.parse(ip6.asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("lease PublicIPv6: " + e.getMessage());
            }
        }
        return new LeaseRecord(publicIp, backendType, root.get("BackendData"), publicIpv6, root.get("BackendV6Data"));
    }
}
