package io.weft.cni.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A CNI result, written in the shape the caller's cniVersion asks for. */
public record Result(List<Iface> interfaces, List<IpConfig> ips, List<Route> routes, Map<String, Object> dns) {

    /** @param sandbox the netns path for an interface inside the container, else null */
    public record Iface(String name, String mac, String sandbox) {}

    /** @param address CIDR notation, e.g. 10.244.1.5/24; @param iface index into interfaces or null */
    public record IpConfig(String address, String gateway, Integer iface) {}

    /** @param gw null: the interface's gateway */
    public record Route(String dst, String gw) {}

    public String toJson(String cniVersion) {
        JsonOut o = new JsonOut().beginObject();
        o.field("cniVersion", cniVersion);
        o.beginArray("interfaces");
        for (Iface i : interfaces) {
            o.beginObject().field("name", i.name());
            if (i.mac() != null) o.field("mac", i.mac());
            if (i.sandbox() != null) o.field("sandbox", i.sandbox());
            o.endObject();
        }
        o.endArray().beginArray("ips");
        for (IpConfig ip : ips) {
            o.beginObject();
            if (CniVersion.ipsCarryVersion(cniVersion)) o.field("version", ip.address().contains(":") ? "6" : "4");
            if (ip.iface() != null) o.field("interface", (long) ip.iface());
            o.field("address", ip.address());
            if (ip.gateway() != null) o.field("gateway", ip.gateway());
            o.endObject();
        }
        o.endArray().beginArray("routes");
        for (Route r : routes) {
            o.beginObject().field("dst", r.dst());
            if (r.gw() != null) o.field("gw", r.gw());
            o.endObject();
        }
        o.endArray();
        o.field("dns", (Object) (dns == null ? Map.of() : dns));
        return o.endObject().toString();
    }

    /** Reads a prevResult (any supported version's shape); a malformed one is an invalid config, code 7. */
    public static Result fromJson(Map<String, Object> m) {
        List<Iface> ifs = new ArrayList<>();
        for (Map<String, Object> i : objects(m, "interfaces")) {
            ifs.add(new Iface(s(i, "name"), s(i, "mac"), s(i, "sandbox")));
        }
        List<IpConfig> ips = new ArrayList<>();
        for (Map<String, Object> i : objects(m, "ips")) {
            Object idx = i.get("interface");
            if (s(i, "address") == null) throw NetConf.invalid("prevResult.ips[] entry has no address");
            ips.add(new IpConfig(s(i, "address"), s(i, "gateway"), idx instanceof Long l ? l.intValue() : null));
        }
        List<Route> routes = new ArrayList<>();
        for (Map<String, Object> r : objects(m, "routes")) {
            if (s(r, "dst") == null) throw NetConf.invalid("prevResult.routes[] entry has no dst");
            routes.add(new Route(s(r, "dst"), s(r, "gw")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dns = m.get("dns") instanceof Map<?, ?> d ? (Map<String, Object>) d : new LinkedHashMap<>();
        return new Result(ifs, ips, routes, dns);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) throw NetConf.invalid("prevResult." + k + " must be an array");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Map)) throw NetConf.invalid("prevResult." + k + " entries must be objects");
            out.add((Map<String, Object>) o);
        }
        return out;
    }

    private static String s(Map<String, Object> m, String k) {
        return m.get(k) instanceof String x ? x : null;
    }
}
