package io.weft.core.iproute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses iproute2's JSON output ({@code ip -j}, {@code bridge -j}); separate from running it so it can be tested. The
 * tables that grow with the cluster (routes, neighbours, FDB entries: thousands at thousands of nodes) are read entry
 * by entry ({@link IpJsonRows}); links, addresses and single answers, a handful of nested objects, as trees.
 */
public final class IpJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields each table's entries are read by. */
    private static final List<String> ROUTE = List.of("type", "dst", "gateway", "dev", "flags");
    private static final List<String> NEIGH = List.of("dst", "lladdr", "dev", "state");
    private static final List<String> FDB = List.of("mac", "dst", "ifname");

    private IpJson() {}

    private static JsonNode array(String json) {
        if (json == null || json.isBlank()) return JSON.createArrayNode();
        try {
            JsonNode n = JSON.readTree(json);
            return n == null ? JSON.createArrayNode() : n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable iproute2 JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static List<LinkInfo> links(String json) {
        List<LinkInfo> out = new ArrayList<>();
        for (JsonNode l : array(json)) {
            JsonNode info = l.path("linkinfo");
            String kind = info.path("info_kind").asText(null);
            LinkInfo.Vxlan vx = null;
            if ("vxlan".equals(kind)) {
                JsonNode d = info.path("info_data");
                // a device over an IPv6 underlay reports its address as local6
                String local = d.path("local").asText(d.path("local6").asText(null));
                vx = new LinkInfo.Vxlan(d.path("id").asInt(), d.path("port").asInt(),
                        local == null ? null : IpAddress.parse(local), d.path("link").asText(null),
                        d.path("learning").asBoolean(false));
            }
            boolean up = false;
            for (JsonNode f : l.path("flags")) if ("UP".equals(f.asText())) up = true;
            String mac = l.path("address").asText(null);
            MacAddress m = null;
            if (mac != null && "ether".equals(l.path("link_type").asText())) m = MacAddress.parse(mac);
            out.add(new LinkInfo(l.path("ifindex").asInt(), l.path("ifname").asText(), kind, l.path("mtu").asInt(),
                    m, up, l.path("master").asText(null), vx));
        }
        return out;
    }

    public static List<IfAddress> addresses(String json) {
        List<IfAddress> out = new ArrayList<>();
        for (JsonNode l : array(json)) {
            for (JsonNode a : l.path("addr_info")) {
                String family = a.path("family").asText();
                if (!"inet".equals(family) && !"inet6".equals(family)) continue;
                out.add(new IfAddress(l.path("ifname").asText(), IpAddress.parse(a.path("local").asText()),
                        a.path("prefixlen").asInt()));
            }
        }
        return out;
    }

    /**
     * The usable IPv6 addresses of {@code ip -j -6 addr show}: global and link-local, not deprecated (flannel's
     * GetInterfaceIP6Addrs), global ones first on each interface, as flannel's compareAddrs prefers them.
     */
    public static List<IfAddress6> addresses6(String json) {
        List<IfAddress6> out = new ArrayList<>();
        for (JsonNode l : array(json)) {
            List<IfAddress6> link = new ArrayList<>();
            for (JsonNode a : l.path("addr_info")) {
                String scope = a.path("scope").asText();
                if (!"inet6".equals(a.path("family").asText()) || !("global".equals(scope) || "link".equals(scope))) continue;
                if (a.path("deprecated").asBoolean(false) || a.path("preferred_life_time").asLong(1) == 0) continue;
                link.add(new IfAddress6(l.path("ifname").asText(), Ipv6Address.parse(a.path("local").asText()),
                        a.path("prefixlen").asInt(), scope));
            }
            link.stream().filter(IfAddress6::global).forEach(out::add);
            link.stream().filter(a -> !a.global()).forEach(out::add);
        }
        return out;
    }

    /**
     * Unicast routes of the family {@code ip -4} or {@code ip -6} was asked for; {@code dev} fills in the device when
     * the query was limited to one.
     */
    public static List<RouteEntry> routes(String json, String dev) {
        List<RouteEntry> out = new ArrayList<>();
        IpJsonRows.forEach(json, ROUTE, r -> {
            if (!"unicast".equals(r.text("type", "unicast"))) return;
            String gw = r.text("gateway", null);
            out.add(new RouteEntry(destination(r.text("dst", ""), gw), gw == null ? null : IpAddress.parse(gw),
                    r.text("dev", dev), r.has("flags", "onlink")));
        });
        return out;
    }

    /** A route's dst as iproute2 prints it: "default", a CIDR, or a host address without its prefix length. */
    private static IpCidr destination(String dst, String gateway) {
        if ("default".equals(dst)) {
            return gateway != null && gateway.contains(":") ? Ipv6Cidr.parse("::/0") : Ipv4Cidr.parse("0.0.0.0/0");
        }
        if (dst.contains("/")) return IpCidr.parseLenient(dst);
        IpAddress host = IpAddress.parse(dst);
        return IpCidr.parse(host + "/" + host.bits());
    }

    /** The destinations of blackhole routes. */
    public static List<BlackholeRoute> blackholeRoutes(String json) {
        List<BlackholeRoute> out = new ArrayList<>();
        IpJsonRows.forEach(json, ROUTE, r -> {
            if ("blackhole".equals(r.text("type", "")) && destination(r.text("dst", ""), null) instanceof Ipv4Cidr dst) {
                out.add(new BlackholeRoute(dst));
            }
        });
        return out;
    }

    /** Permanent neighbours of both families only: the entries weft owns; learned ones come and go with ARP and NDP. */
    public static List<NeighEntry> permanentNeighbours(String json, String dev) {
        List<NeighEntry> out = new ArrayList<>();
        IpJsonRows.forEach(json, NEIGH, n -> {
            String mac = n.text("lladdr", null);
            String dst = n.text("dst", "");
            if (!n.has("state", "PERMANENT") || mac == null || dst.isEmpty()) return;
            out.add(new NeighEntry(IpAddress.parse(dst), MacAddress.parse(mac), n.text("dev", dev)));
        });
        return out;
    }

    /** FDB entries that point a MAC at a remote VTEP (they carry a dst, IPv4 or IPv6). */
    public static List<FdbEntry> vxlanFdb(String json, String dev) {
        List<FdbEntry> out = new ArrayList<>();
        IpJsonRows.forEach(json, FDB, n -> {
            String dst = n.text("dst", null);
            String mac = n.text("mac", null);
            if (dst != null && mac != null) out.add(new FdbEntry(MacAddress.parse(mac), n.text("ifname", dev), IpAddress.parse(dst)));
        });
        return out;
    }

    /** The first answer of {@code ip -j route get}; null when there is none. */
    public static RouteLookup routeLookup(String json, Ipv4Address dst) {
        for (JsonNode r : array(json)) {
            String gw = r.path("gateway").asText(null);
            String src = r.path("prefsrc").asText(null);
            return new RouteLookup(dst, r.path("type").asText("unicast"), gw == null ? null : Ipv4Address.parse(gw),
                    r.path("dev").asText(null), src == null ? null : Ipv4Address.parse(src), null);
        }
        return null;
    }

    /** IPv4 neighbour entries of any state ({@code ip -j neigh show}), with or without a link-layer address. */
    public static List<NeighState> neighbours(String json, String dev) {
        List<NeighState> out = new ArrayList<>();
        IpJsonRows.forEach(json, NEIGH, n -> {
            String dst = n.text("dst", "");
            if (dst.isEmpty() || dst.contains(":")) return;
            String mac = n.text("lladdr", null);
            out.add(new NeighState(Ipv4Address.parse(dst), mac == null ? null : MacAddress.parse(mac),
                    n.text("dev", dev), n.strings("state")));
        });
        return out;
    }

    /** The bridge port a MAC was learned on ({@code bridge -j fdb get MAC br BRIDGE}); null when not known. */
    public static String bridgePort(String json, String bridge) {
        for (JsonNode n : array(json)) {
            String port = n.path("ifname").asText(null);
            if (port != null && !port.equals(bridge)) return port;
        }
        return null;
    }

    /** The name the peer namespace of a veth has ({@code link_netnsid} looked up in {@code ip -j netns list-id}). */
    static String netnsName(String linkJson, String listIdJson) {
        int id = -1;
        for (JsonNode l : array(linkJson)) id = l.path("link_netnsid").asInt(-1);
        if (id < 0) return null;
        for (JsonNode n : array(listIdJson)) {
            if (n.path("nsid").asInt(-2) == id) return n.path("name").asText(null);
        }
        return null;
    }
}
