package io.weft.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads net-conf.json strictly: every unknown, mistyped or out-of-range field is refused with its name,
 * because a silently ignored typo ("SubnetLenght") would give a cluster a configuration nobody wrote.
 */
public final class NetConfParser {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Set<String> TOP_FIELDS = Set.of(
            "Network", "SubnetLen", "SubnetMin", "SubnetMax", "EnableIPv4", "EnableIPv6", "IPv6Network",
            "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax", "EnableNFTables", "Backend");
    private static final Set<String> VXLAN_FIELDS = Set.of(
            "Type", "VNI", "Port", "DirectRouting", "MTU", "Datapath", "GBP", "Learning", "MacPrefix");
    private static final Set<String> HOSTGW_FIELDS = Set.of("Type");

    private NetConfParser() {}

    public static NetConf read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(null, "network config " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException(null, "cannot read network config " + file + ": " + e.getMessage());
        }
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw new ConfigException(e.field(), e.getMessage().substring(e.field() == null ? 0 : e.field().length() + 2)
                    + " (in " + file + ")");
        }
    }

    public static NetConf parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String duplicate = duplicateField(e);
            if (duplicate != null) throw new ConfigException(duplicate, "appears twice");
            throw new ConfigException(null, "not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr()
                    + " column " + e.getLocation().getColumnNr() : ""));
        }
        if (!(root instanceof ObjectNode obj)) throw new ConfigException(null, "network config must be a JSON object");
        rejectUnknown(obj, TOP_FIELDS, "");

        Ipv4Cidr network = cidr(obj, "Network", true);
        boolean enableIPv4 = bool(obj, "EnableIPv4", true);
        boolean enableIPv6 = bool(obj, "EnableIPv6", false);
        String ipv6Network = obj.has("IPv6Network") ? text(obj, "IPv6Network") : null;
        if (!enableIPv4) throw new ConfigException("EnableIPv4", "false is not supported: weft needs an IPv4 Network");
        if (enableIPv6) throw new ConfigException("EnableIPv6", "IPv6 is not supported yet; set it to false or leave it out");
        // flannel's own fields that weft does not use (yet): still type-checked, so a typo'd value is caught
        boolean enableNFTables = bool(obj, "EnableNFTables", false);
        if (obj.has("IPv6SubnetLen")) integer(obj, "IPv6SubnetLen");
        if (obj.has("IPv6SubnetMin")) text(obj, "IPv6SubnetMin");
        if (obj.has("IPv6SubnetMax")) text(obj, "IPv6SubnetMax");

        int subnetLen;
        if (obj.has("SubnetLen")) {
            subnetLen = integer(obj, "SubnetLen");
            // as flannel: the Network must hold at least four subnets, since its first one is never leased
            if (subnetLen < network.prefix() + 2 || subnetLen > 30) {
                throw new ConfigException("SubnetLen", subnetLen + " must be at least 2 longer than the Network's /"
                        + network.prefix() + " (room for four subnets) and at most 30");
            }
        } else if (network.prefix() > 28) {
            throw new ConfigException("Network", network + " is too small: the smallest Network is a /28"
                    + " (four /30 subnets) unless SubnetLen says otherwise");
        } else {
            subnetLen = network.prefix() <= 22 ? 24 : network.prefix() + 2;
        }
        long count = 1L << (subnetLen - network.prefix());
        Ipv4Cidr subnetMin = subnetBound(obj, "SubnetMin", network, subnetLen,
                new Ipv4Cidr(network.network().plus(1L << (32 - subnetLen)), subnetLen));
        Ipv4Cidr subnetMax = subnetBound(obj, "SubnetMax", network, subnetLen,
                new Ipv4Cidr(network.network().plus((count - 1) << (32 - subnetLen)), subnetLen));
        if (subnetMin.compareTo(subnetMax) > 0) {
            throw new ConfigException("SubnetMin", subnetMin.network() + " is after SubnetMax " + subnetMax.network());
        }
        BackendConf backend = backend(obj.get("Backend"));
        return new NetConf(network, subnetLen, subnetMin, subnetMax, enableIPv4, enableIPv6, ipv6Network, backend,
                enableNFTables);
    }

    /** The path ("Backend.VNI") of the field a duplicate-key error is about, or null for any other error. */
    private static String duplicateField(JsonProcessingException e) {
        if (e.getOriginalMessage() == null || !e.getOriginalMessage().startsWith("Duplicate field")
                || !(e.getProcessor() instanceof JsonParser p)) {
            return null;
        }
        ArrayDeque<String> names = new ArrayDeque<>();
        for (JsonStreamContext c = p.getParsingContext(); c != null; c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) names.addFirst(c.getCurrentName());
        }
        return names.isEmpty() ? null : String.join(".", names);
    }

    private static BackendConf backend(JsonNode node) {
        if (node == null || node.isNull()) return BackendConf.defaultVxlan();
        if (!(node instanceof ObjectNode b)) throw new ConfigException("Backend", "must be a JSON object");
        // flannel lower-cases the type (backend.Manager.GetBackend), so "VXLAN" and "Host-GW" work there too
        String type = b.has("Type") ? text(b, "Backend.Type").toLowerCase(Locale.ROOT) : BackendConf.VXLAN;
        switch (type) {
            case BackendConf.VXLAN -> {
                rejectUnknown(b, VXLAN_FIELDS, "Backend.");
                int vni = b.has("VNI") ? integer(b, "Backend.VNI") : 1;
                if (vni < 0 || vni > 0xFFFFFF) throw new ConfigException("Backend.VNI", vni + " is outside 0..16777215");
                int port = b.has("Port") ? integer(b, "Backend.Port") : 0;
                if (port == 0) port = BackendConf.DEFAULT_PORT;
                if (port < 1 || port > 65535) throw new ConfigException("Backend.Port", port + " is outside 1..65535");
                boolean direct = bool(b, "Backend.DirectRouting", false);
                int mtu = b.has("MTU") ? integer(b, "Backend.MTU") : 0;
                if (mtu != 0 && (mtu < 576 || mtu > 65535)) throw new ConfigException("Backend.MTU", mtu + " is outside 576..65535");
                if (bool(b, "Backend.GBP", false)) throw new ConfigException("Backend.GBP", "group policy is not supported");
                if (bool(b, "Backend.Learning", false)) {
                    throw new ConfigException("Backend.Learning", "learning mode is not supported; weft programs the FDB itself");
                }
                if (b.has("MacPrefix")) text(b, "Backend.MacPrefix");
                String datapath = b.has("Datapath") ? text(b, "Backend.Datapath") : BackendConf.KERNEL;
                if (!datapath.equals(BackendConf.KERNEL) && !datapath.equals(BackendConf.USERSPACE)) {
                    throw new ConfigException("Backend.Datapath", "\"" + datapath + "\" is not one of \"kernel\", \"userspace\"");
                }
                return new BackendConf(type, vni, port, direct, mtu, datapath);
            }
            case BackendConf.HOST_GW -> {
                rejectUnknown(b, HOSTGW_FIELDS, "Backend.");
                return new BackendConf(type, 0, 0, false, 0, BackendConf.KERNEL);
            }
            default -> throw new ConfigException("Backend.Type", "\"" + type + "\" is not a supported backend (vxlan, host-gw)");
        }
    }

    private static void rejectUnknown(ObjectNode obj, Set<String> known, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!known.contains(name)) {
                String hint = known.stream()
                        .filter(k -> distance(k, name) <= Math.min(2, k.length() / 3))
                        .min(java.util.Comparator.comparingInt(k -> distance(k, name)))
                        .map(k -> " (did you mean \"" + k + "\"?)").orElse("");
                throw new ConfigException(prefix + name, "unknown field" + hint);
            }
        }
    }

    /** Case-insensitive edit distance, to suggest the field a typo meant (SubnetLenght, VNl, backend). */
    private static int distance(String known, String typed) {
        String a = known.toLowerCase();
        String b = typed.toLowerCase();
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Ipv4Cidr cidr(ObjectNode obj, String field, boolean required) {
        if (!obj.has(field) || obj.get(field).isNull()) {
            if (required) throw new ConfigException(field, "is required");
            return null;
        }
        String v = text(obj, field);
        try {
            return Ipv4Cidr.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
    }

    private static Ipv4Cidr subnetBound(ObjectNode obj, String field, Ipv4Cidr network, int subnetLen, Ipv4Cidr dflt) {
        if (!obj.has(field)) return dflt;
        String v = text(obj, field);
        Ipv4Address a;
        try {
            if (v.contains("/")) {
                // a CIDR must be exactly one subnet: "10.244.5.0/16" is not read as 10.244.5.0, nor as 10.244.0.0
                Ipv4Cidr given = Ipv4Cidr.parse(v);
                if (given.prefix() != subnetLen) {
                    throw new ConfigException(field, v + " is not a /" + subnetLen + " subnet (SubnetLen is "
                            + subnetLen + "); write the subnet's first address, e.g. \"" + given.network() + "\"");
                }
                a = given.network();
            } else {
                a = Ipv4Address.parse(v);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
        if (!network.contains(a)) throw new ConfigException(field, a + " is outside Network " + network);
        if ((a.value() & ~Ipv4Cidr.mask(subnetLen)) != 0) {
            throw new ConfigException(field, a + " is not aligned to a /" + subnetLen + " subnet boundary");
        }
        return new Ipv4Cidr(a, subnetLen);
    }

    private static String text(ObjectNode obj, String path) {
        JsonNode n = obj.get(leaf(path));
        if (n == null || !n.isTextual()) throw new ConfigException(path, "must be a string, got " + describe(n));
        return n.asText();
    }

    private static int integer(ObjectNode obj, String path) {
        JsonNode n = obj.get(leaf(path));
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new ConfigException(path, "must be an integer, got " + describe(n));
        }
        return n.intValue();
    }

    private static boolean bool(ObjectNode obj, String path, boolean dflt) {
        JsonNode n = obj.get(leaf(path));
        if (n == null) return dflt;
        if (!n.isBoolean()) throw new ConfigException(path, "must be true or false, got " + describe(n));
        return n.booleanValue();
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    private static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        return n.getNodeType().name().toLowerCase() + " " + n;
    }
}
