package io.weft.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.config.GoJsonObject.Member;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Reads net-conf.json as flanneld does (pkg/subnet/config.go ParseConfig and CheckNetworkConfig, and each backend's
 * RegisterNetwork for the Backend object): keys in any case, the last of repeated keys counting, fields flannel does
 * not read left alone. What flanneld accepts, weft accepts. Two things are stricter, because flanneld would start
 * and then fail or misbehave: a value of the wrong type or out of range is refused with the field's name, and every
 * field weft ignores is named in one warning line (with a "did you mean" for a near-miss of a real field), since a
 * silently ignored typo ("SubnetLenght") gives a cluster a configuration nobody wrote.
 */
public final class NetConfParser {
    private static final Logger LOG = Logger.getLogger(NetConfParser.class.getName());
    /** Warnings already logged by this process: the config is read more than once at start-up. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private static final List<String> TOP_FIELDS = List.of(
            "Network", "SubnetLen", "SubnetMin", "SubnetMax", "EnableIPv4", "EnableIPv6", "IPv6Network",
            "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax", "EnableNFTables", "Backend");
    /** Fields of flannel's Config that flannel itself does not take from the file. */
    private static final Map<String, String> TOP_IGNORED = Map.of(
            "Networks", "flanneld fills it from the cluster, never from this file",
            "IPv6Networks", "flanneld fills it from the cluster, never from this file");
    private static final List<String> VXLAN_FIELDS = List.of(
            "Type", "VNI", "Port", "DirectRouting", "MTU", "GBP", "Learning", "Datapath");
    private static final Map<String, String> VXLAN_IGNORED = Map.of(
            "MacPrefix", "flanneld reads it on Windows only",
            "Name", "flanneld reads it on Windows only");
    private static final List<String> HOSTGW_FIELDS = List.of("Type");
    private static final Map<String, String> HOSTGW_IGNORED = Map.ofEntries(
            Map.entry("Name", "flanneld reads it on Windows only"),
            Map.entry("DNSServerList", "flanneld reads it on Windows only"),
            Map.entry("DirectRouting", "host-gw always routes directly"),
            Map.entry("VNI", "host-gw has no VXLAN device"),
            Map.entry("Port", "host-gw has no VXLAN device"),
            Map.entry("MTU", "host-gw has no VXLAN device; pods get the interface's MTU"),
            Map.entry("GBP", "host-gw has no VXLAN device"),
            Map.entry("Learning", "host-gw has no VXLAN device"),
            Map.entry("MacPrefix", "flanneld reads it on Windows only"),
            Map.entry("Datapath", "host-gw has no userspace datapath; the kernel routes"));
    /** The smallest MTU a pod interface may get (RFC 791's datagram every host must accept). */
    static final int MIN_OVERLAY_MTU = 576;

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
            return parse(text, w -> warnOnce(w + " (in " + file + ")"));
        } catch (ConfigException e) {
            throw new ConfigException(e.field(), e.getMessage().substring(e.field() == null ? 0 : e.field().length() + 2)
                    + " (in " + file + ")");
        }
    }

    /** Parses net-conf.json text; what weft ignores in it is logged as warnings, each once per process. */
    public static NetConf parse(String json) {
        return parse(json, NetConfParser::warnOnce);
    }

    /** Parses net-conf.json text, handing each warning (one line naming a field weft ignores) to {@code warnings}. */
    public static NetConf parse(String json, Consumer<String> warnings) {
        GoJsonObject obj = GoJsonObject.parse(json);
        Fields top = new Fields(obj, "", warnings);
        top.noteIgnoredAndRepeated(TOP_FIELDS, TOP_IGNORED);
        top.cidrList("Networks");
        top.cidrList("IPv6Networks");

        boolean enableIPv4 = top.bool("EnableIPv4", true);
        boolean enableIPv6 = top.bool("EnableIPv6", false);
        boolean enableNFTables = top.bool("EnableNFTables", false);
        if (!enableIPv4 && !enableIPv6) {
            throw new ConfigException("EnableIPv4", "false with EnableIPv6 false leaves no address family; set"
                    + " EnableIPv6: true (with IPv6Network) for an IPv6-only cluster");
        }
        Ipv4Pool v4 = enableIPv4 ? ipv4(top) : ignoredIpv4(top);
        Ipv6Fields.Pool v6 = Ipv6Fields.parse(top, enableIPv6);
        BackendConf backend = backend(top);
        WireGuardFields.checkFamilies(backend, enableIPv4, enableIPv6);
        return new NetConf(v4.network, v4.subnetLen, v4.subnetMin, v4.subnetMax, enableIPv4, enableIPv6,
                v6 == null ? null : v6.network(), v6 == null ? 0 : v6.subnetLen(),
                v6 == null ? null : v6.subnetMin(), v6 == null ? null : v6.subnetMax(), backend, enableNFTables);
    }

    private record Ipv4Pool(Ipv4Cidr network, int subnetLen, Ipv4Cidr subnetMin, Ipv4Cidr subnetMax) {}

    /** IPv6-only: flannel reads none of the IPv4 fields (CheckNetworkConfig skips them); a Network given is named. */
    private static Ipv4Pool ignoredIpv4(Fields top) {
        String network = top.text("Network");
        top.unsigned("SubnetLen");
        top.text("SubnetMin");
        top.text("SubnetMax");
        if (network != null) top.warn("Network " + network + " is ignored: EnableIPv4 is false (an IPv6-only cluster)");
        return new Ipv4Pool(null, 0, null, null);
    }

    /** The IPv4 pool, checked as flannel's CheckNetworkConfig checks it. */
    private static Ipv4Pool ipv4(Fields top) {
        Ipv4Cidr network = cidr(top, "Network");
        Integer len = top.unsigned("SubnetLen");
        int subnetLen;
        if (len != null && len != 0) {
            subnetLen = len;
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
        Ipv4Cidr subnetMin = subnetBound(top, "SubnetMin", network, subnetLen,
                new Ipv4Cidr(network.network().plus(1L << (32 - subnetLen)), subnetLen));
        Ipv4Cidr subnetMax = subnetBound(top, "SubnetMax", network, subnetLen,
                new Ipv4Cidr(network.network().plus((count - 1) << (32 - subnetLen)), subnetLen));
        if (subnetMin.compareTo(subnetMax) > 0) {
            throw new ConfigException("SubnetMin", subnetMin.network() + " is after SubnetMax " + subnetMax.network());
        }
        return new Ipv4Pool(network, subnetLen, subnetMin, subnetMax);
    }

    private static BackendConf backend(Fields top) {
        GoJsonObject b = top.object("Backend");
        if (b == null) {
            if (top.obj.last("Backend") == null) {
                top.warn("Backend is not given: flanneld would run its udp backend, which weft does not have; weft runs"
                        + " vxlan (VNI 1, port 8472), which udp nodes cannot reach");
            }
            return BackendConf.defaultVxlan();
        }
        Fields f = new Fields(b, "Backend.", top.warnings);
        String given = f.text("Type");
        // flannel lower-cases the type (backend.Manager.GetBackend), so "VXLAN" and "Host-GW" work there too
        String type = given == null ? BackendConf.VXLAN : given.toLowerCase(Locale.ROOT);
        switch (type) {
            case BackendConf.VXLAN -> {
                f.noteIgnoredAndRepeated(VXLAN_FIELDS, VXLAN_IGNORED);
                Integer vniGiven = f.integer("VNI");
                int vni = vniGiven == null ? 1 : vniGiven;
                if (vni < 0 || vni > 0xFFFFFF) throw new ConfigException("Backend.VNI", vni + " is outside 0..16777215");
                Integer portGiven = f.integer("Port");
                int port = portGiven == null || portGiven == 0 ? BackendConf.DEFAULT_PORT : portGiven;
                if (port < 1 || port > 65535) throw new ConfigException("Backend.Port", port + " is outside 1..65535");
                boolean direct = f.bool("DirectRouting", false);
                Integer mtuGiven = f.integer("MTU");
                int mtu = mtuGiven == null ? 0 : mtuGiven;
                int minMtu = MIN_OVERLAY_MTU + BackendConf.VXLAN_OVERHEAD;
                if (mtu != 0 && (mtu < minMtu || mtu > 65535)) {
                    throw new ConfigException("Backend.MTU", mtu + " is outside " + minMtu + "..65535: it is the underlay's MTU,"
                            + " as in flannel, and the VXLAN device gets " + BackendConf.VXLAN_OVERHEAD + " less (at least "
                            + MIN_OVERLAY_MTU + "); leave it out to use the interface's");
                }
                if (f.bool("GBP", false)) throw new ConfigException("Backend.GBP", "group policy is not supported");
                if (f.bool("Learning", false)) {
                    throw new ConfigException("Backend.Learning", "learning mode is not supported; weft programs the FDB itself");
                }
                String dp = f.text("Datapath");
                String datapath = dp == null ? BackendConf.KERNEL : dp;
                if (!datapath.equals(BackendConf.KERNEL) && !datapath.equals(BackendConf.USERSPACE)) {
                    throw new ConfigException("Backend.Datapath", "\"" + datapath + "\" is not one of \"kernel\", \"userspace\"");
                }
                return new BackendConf(type, vni, port, direct, mtu, datapath);
            }
            case BackendConf.HOST_GW -> {
                f.noteIgnoredAndRepeated(HOSTGW_FIELDS, HOSTGW_IGNORED);
                return new BackendConf(type, 0, 0, false, 0, BackendConf.KERNEL);
            }
            case BackendConf.WIREGUARD -> {
                return WireGuardFields.parse(f);
            }
            default -> throw new ConfigException("Backend.Type", "\"" + given + "\" is not a backend weft has (vxlan, host-gw, wireguard)");
        }
    }

    private static Ipv4Cidr cidr(Fields f, String field) {
        String v = f.text(field);
        if (v == null) throw new ConfigException(field, "is required");
        Ipv4Cidr lenient;
        try {
            lenient = Ipv4Cidr.parseLenient(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
        // flanneld's ip.IP4Net takes net.ParseCIDR's network, so 10.244.1.0/16 runs as 10.244.0.0/16 there
        if (!lenient.toString().equals(v.strip())) f.warn(field + " " + v + " has host bits set; read as " + lenient + ", as flanneld reads it");
        return lenient;
    }

    private static Ipv4Cidr subnetBound(Fields f, String field, Ipv4Cidr network, int subnetLen, Ipv4Cidr dflt) {
        String v = f.text(field);
        if (v == null) return dflt;
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
        // flannel treats 0.0.0.0 as "not given" (CheckNetworkConfig compares against ip.IP4(0))
        if (a.value() == 0) return dflt;
        if (!network.contains(a)) throw new ConfigException(field, a + " is outside Network " + network);
        if ((a.value() & ~Ipv4Cidr.mask(subnetLen)) != 0) {
            throw new ConfigException(field, a + " is not aligned to a /" + subnetLen + " subnet boundary");
        }
        return new Ipv4Cidr(a, subnetLen);
    }

    private static void warnOnce(String warning) {
        if (WARNED.add(warning)) LOG.warning(warning);
    }

    /** One object's fields, type-checked as encoding/json checks them: every member for a field, null = not given. */
    static final class Fields {
        final GoJsonObject obj;
        final String prefix;
        final Consumer<String> warnings;

        Fields(GoJsonObject obj, String prefix, Consumer<String> warnings) {
            this.obj = obj;
            this.prefix = prefix;
            this.warnings = warnings;
        }

        void warn(String w) {
            warnings.accept(w);
        }

        /** One warning per field weft does not read (with why, or a "did you mean"), and per field given twice. */
        void noteIgnoredAndRepeated(List<String> known, Map<String, String> ignored) {
            List<String> all = new ArrayList<>(known);
            all.addAll(ignored.keySet());
            for (String key : obj.unknown(all)) {
                String hint = known.stream()
                        .filter(k -> distance(k, key) <= Math.max(2, k.length() / 3))
                        .min(Comparator.comparingInt(k -> distance(k, key)))
                        .map(k -> " (did you mean \"" + k + "\"?)").orElse("");
                warn(prefix + key + " is ignored: neither flanneld nor weft reads it" + hint);
            }
            ignored.keySet().stream().sorted().filter(k -> obj.last(k) != null)
                    .forEach(k -> warn(prefix + k + " is ignored: " + ignored.get(k)));
            for (String k : obj.repeated(known)) {
                warn(prefix + k + " is given " + obj.all(k).size() + " times; the last one counts, as in flanneld");
            }
        }

        String text(String field) {
            return check(field, JsonNode::isTextual, "a string").map(JsonNode::asText).orElse(null);
        }

        boolean bool(String field, boolean dflt) {
            return check(field, JsonNode::isBoolean, "true or false").map(JsonNode::booleanValue).orElse(dflt);
        }

        /** A Go int: a JSON integer (no fraction, no exponent) that fits. */
        Integer integer(String field) {
            return check(field, n -> n.isIntegralNumber() && n.canConvertToInt(), "an integer").map(JsonNode::intValue).orElse(null);
        }

        /** A Go uint: as {@link #integer}, and not negative. */
        Integer unsigned(String field) {
            return check(field, n -> n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= 0,
                    "a non-negative integer").map(JsonNode::intValue).orElse(null);
        }

        /** A list of CIDR strings, as flannel's []ip.IP4Net decodes. */
        void cidrList(String field) {
            check(field, n -> {
                if (!n.isArray()) return false;
                for (JsonNode e : n) if (!e.isTextual()) return false;
                return true;
            }, "a list of CIDR strings");
        }

        GoJsonObject object(String field) {
            GoJsonObject found = null;
            for (Member m : obj.all(field)) {
                if (m.isNull()) continue;
                if (m.object() == null) throw new ConfigException(prefix + field, "must be a JSON object, got " + describe(m.value()));
                found = m.object();
            }
            Member last = obj.last(field);
            return last == null || last.isNull() ? null : found;
        }

        /** Every member for {@code field} must pass {@code ok} (or be null); the last one's value, if any. */
        private java.util.Optional<JsonNode> check(String field, java.util.function.Predicate<JsonNode> ok, String what) {
            for (Member m : obj.all(field)) {
                if (m.isNull()) continue;
                if (m.object() != null || !ok.test(m.value())) {
                    throw new ConfigException(prefix + field, "must be " + what + ", got "
                            + (m.object() != null ? "an object" : describe(m.value())));
                }
            }
            Member last = obj.last(field);
            return last == null || last.isNull() ? java.util.Optional.empty() : java.util.Optional.of(last.value());
        }
    }

    /** Case-insensitive edit distance, to suggest the field a typo meant (SubnetLenght, VNl). */
    private static int distance(String known, String typed) {
        String a = known.toLowerCase(Locale.ROOT);
        String b = typed.toLowerCase(Locale.ROOT);
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

    private static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        return n.getNodeType().name().toLowerCase(Locale.ROOT) + " " + n;
    }
}
