package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the kernel's current network state in one namespace, through {@code ip -j} and {@code bridge -j}. */
public final class IpReader {
    private final Netns ns;

    public IpReader(Netns ns) {
        this.ns = ns;
    }

    public Netns netns() {
        return ns;
    }

    private String ip(String... args) {
        return IpRunner.run(ns.command("ip", List.of(args)), null).orThrow().stdout();
    }

    public List<LinkInfo> links() {
        return IpJson.links(ip("-j", "-d", "link", "show"));
    }

    public Optional<LinkInfo> link(String name) {
        IpRunner.Result r = IpRunner.run(ns.command("ip", List.of("-j", "-d", "link", "show", "dev", name)), null);
        if (r.exitCode() != 0) {
            if (r.stderr().contains("does not exist")) return Optional.empty();
            r.orThrow();
        }
        return IpJson.links(r.stdout()).stream().findFirst();
    }

    public List<IfAddress> addresses(String dev) {
        return IpJson.addresses(ip("-j", "-4", "addr", "show", "dev", dev));
    }

    public List<IfAddress> addresses() {
        return IpJson.addresses(ip("-j", "-4", "addr", "show"));
    }

    /** Usable IPv6 addresses (global, then link-local; none deprecated), for the underlay's IPv6 address. */
    public List<IfAddress6> addresses6() {
        return IpJson.addresses6(ip("-j", "-6", "addr", "show"));
    }

    /** The device's global IPv6 addresses (its link-local fe80::/64 one left out: the kernel owns that). */
    public List<IfAddress> globalAddresses6(String dev) {
        return IpJson.addresses(ip("-j", "-6", "addr", "show", "dev", dev, "scope", "global"));
    }

    /** IPv6 routes of the main table. */
    public List<RouteEntry> routes6() {
        return IpJson.routes(ip("-j", "-6", "route", "show", "table", "main"), null);
    }

    /** IPv4 routes of the main table. */
    public List<RouteEntry> routes() {
        return IpJson.routes(ip("-j", "-4", "route", "show", "table", "main"), null);
    }

    /** Blackhole routes of the main table. */
    public List<BlackholeRoute> blackholeRoutes() {
        return IpJson.blackholeRoutes(ip("-j", "-4", "route", "show", "table", "main", "type", "blackhole"));
    }

    /** The route this host would take to {@code to}; IllegalArgumentException when it has none. */
    public RouteLookup routeGet(Ipv4Address to) {
        RouteLookup r = routeGet(to, null, null);
        if (r.error() != null) throw new IllegalArgumentException("no route to " + to + ": " + r.error());
        return r;
    }

    /** The permanent neighbours of both families on {@code dev}. */
    public List<NeighEntry> permanentNeighbours(String dev) {
        return IpJson.permanentNeighbours(ip("-j", "neigh", "show", "dev", dev, "nud", "permanent"), dev);
    }

    public List<FdbEntry> vxlanFdb(String dev) {
        String out = IpRunner.run(ns.command("bridge", List.of("-j", "fdb", "show", "dev", dev)), null).orThrow().stdout();
        return IpJson.vxlanFdb(out, dev);
    }

    /**
     * Where the kernel sends a packet for {@code dst} from {@code from}: arriving on {@code iif} (forwarded, as a
     * pod's packet through cni0 is) or, with {@code iif} null, sent by this host.
     */
    public RouteLookup routeGet(Ipv4Address dst, Ipv4Address from, String iif) {
        List<String> args = new ArrayList<>(List.of("-j", "-d", "route", "get", dst.toString()));
        if (from != null) args.addAll(List.of("from", from.toString()));
        if (iif != null) args.addAll(List.of("iif", iif));
        IpRunner.Result r = IpRunner.run(ns.command("ip", args), null);
        if (r.exitCode() != 0) {
            String why = r.stderr().strip().replaceFirst("^RTNETLINK answers: ", "");
            return RouteLookup.failed(dst, why.isEmpty() ? "no route (exit " + r.exitCode() + ")" : why);
        }
        RouteLookup l = IpJson.routeLookup(r.stdout(), dst);
        return l != null ? l : RouteLookup.failed(dst, "no route");
    }

    /** The neighbour entry for {@code ip} on {@code dev} in whatever state it is; empty when there is none. */
    public Optional<NeighState> neighbour(Ipv4Address ip, String dev) {
        IpRunner.Result r = IpRunner.run(ns.command("ip", List.of("-j", "-4", "neigh", "show", ip.toString(), "dev", dev)), null);
        if (r.exitCode() != 0) {
            if (r.stderr().contains("Cannot find device")) return Optional.empty();
            r.orThrow();
        }
        return IpJson.neighbours(r.stdout(), dev).stream().filter(n -> n.ip().equals(ip)).findFirst();
    }

    /** The VXLAN FDB entry for {@code mac} on {@code dev} ({@code bridge fdb get ... self}); empty when there is none. */
    public Optional<FdbEntry> fdbGet(MacAddress mac, String dev) {
        IpRunner.Result r = IpRunner.run(ns.command("bridge", List.of("-j", "fdb", "get", mac.toString(), "dev", dev, "self")), null);
        if (r.exitCode() != 0) return Optional.empty(); // "Fdb entry not found", or no such device
        return IpJson.vxlanFdb(r.stdout(), dev).stream().findFirst();
    }

    /** The port of {@code bridge} that {@code mac} was learned on; empty when the bridge does not know it. */
    public Optional<String> bridgePort(MacAddress mac, String bridge) {
        IpRunner.Result r = IpRunner.run(ns.command("bridge", List.of("-j", "fdb", "get", mac.toString(), "br", bridge)), null);
        if (r.exitCode() != 0) return Optional.empty();
        return Optional.ofNullable(IpJson.bridgePort(r.stdout(), bridge));
    }

    /**
     * The name of the namespace the other end of the veth {@code dev} lives in, when it has one under /var/run/netns
     * (where CNI runtimes and {@code ip netns add} put pods' namespaces); empty otherwise.
     */
    public Optional<String> peerNetns(String dev) {
        IpRunner.Result link = IpRunner.run(ns.command("ip", List.of("-j", "link", "show", "dev", dev)), null);
        if (link.exitCode() != 0) return Optional.empty();
        IpRunner.Result ids = IpRunner.run(ns.command("ip", List.of("-j", "netns", "list-id")), null);
        if (ids.exitCode() != 0) return Optional.empty();
        return Optional.ofNullable(IpJson.netnsName(link.stdout(), ids.stdout()));
    }
}
