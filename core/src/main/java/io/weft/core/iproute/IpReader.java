package io.weft.core.iproute;

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

    /** IPv4 routes of the main table. */
    public List<RouteEntry> routes() {
        return IpJson.routes(ip("-j", "-4", "route", "show", "table", "main"), null);
    }

    /** Blackhole routes of the main table. */
    public List<BlackholeRoute> blackholeRoutes() {
        return IpJson.blackholeRoutes(ip("-j", "-4", "route", "show", "table", "main", "type", "blackhole"));
    }

    /** The route the kernel would take to {@code to} ({@code ip route get}); nothing is sent. */
    public RouteLookup routeGet(io.weft.core.net.Ipv4Address to) {
        return IpJson.routeLookup(ip("-j", "-4", "route", "get", to.toString()));
    }

    public List<NeighEntry> permanentNeighbours(String dev) {
        return IpJson.permanentNeighbours(ip("-j", "-4", "neigh", "show", "dev", dev), dev);
    }

    public List<FdbEntry> vxlanFdb(String dev) {
        String out = IpRunner.run(ns.command("bridge", List.of("-j", "fdb", "show", "dev", dev)), null).orThrow().stdout();
        return IpJson.vxlanFdb(out, dev);
    }
}
