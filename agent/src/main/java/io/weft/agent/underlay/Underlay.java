package io.weft.agent.underlay;

import io.weft.core.config.NetConf;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IfAddress6;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.iproute.RouteLookup;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The node's external interface and the address on it that VXLAN sends from, chosen as flanneld chooses them
 * (main.go and pkg/ipmatch/match.go LookupExtIface).
 *
 * @param network    the interface's own network (used to tell which peers share our L2 segment)
 * @param address    the interface's IPv4 address, null on an IPv6-only node
 * @param addressV6  the interface's IPv6 address VXLAN sends from (flannel's ExtV6Addr), null without IPv6
 * @param networkV6  the IPv6 network of {@code addressV6} (which peers share our L2 segment), null when unknown
 * @param publicIpv6 the IPv6 address other nodes reach this one at (--public-ipv6, else {@code addressV6}), null
 *                   without IPv6
 */
public record Underlay(String iface, Ipv4Address address, Ipv4Cidr network, int mtu, Ipv6Address addressV6,
                       Ipv6Cidr networkV6, Ipv6Address publicIpv6) {
    private static final Logger LOG = Logger.getLogger(Underlay.class.getName());

    /** An IPv4-only underlay. */
    public Underlay(String iface, Ipv4Address address, Ipv4Cidr network, int mtu) {
        this(iface, address, network, mtu, null, null, null);
    }

    /** An underlay whose IPv6 network is not known: host-gw then routes to every IPv6 peer, DirectRouting to none. */
    public Underlay(String iface, Ipv4Address address, Ipv4Cidr network, int mtu, Ipv6Address addressV6,
                    Ipv6Address publicIpv6) {
        this(iface, address, network, mtu, addressV6, null, publicIpv6);
    }

    /**
     * This underlay with its IPv6 side when {@code conf} turns IPv6 on: the interface's first usable IPv6 address
     * (global before link-local, none deprecated: flannel's GetInterfaceIP6Addrs in LookupExtIface), and the public
     * IPv6 address, {@code givenPublicIpv6} (--public-ipv6, or the node-public-ipv6 annotation) when set. An
     * interface without IPv6 is refused in one line, unless --public-ipv6 names the address to use.
     */
    public Underlay withIpv6(NetConf conf, IpReader reader, Ipv6Address givenPublicIpv6) {
        if (!conf.enableIPv6()) return this;
        IfAddress6 a = reader.addresses6().stream().filter(x -> x.dev().equals(iface)).findFirst().orElse(null);
        Ipv6Address own = a != null ? a.address() : givenPublicIpv6;
        if (own == null) {
            throw new IllegalArgumentException(iface + " has no IPv6 address and EnableIPv6 is on: give " + iface
                    + " a global IPv6 address, pick another interface (--iface), or pass --public-ipv6");
        }
        Ipv6Cidr net6 = a == null ? null : Ipv6Cidr.parseLenient(a.address() + "/" + a.prefix());
        return new Underlay(iface, address, network, mtu, own, net6, givenPublicIpv6 != null ? givenPublicIpv6 : own);
    }

    /**
     * How the operator names the interface: {@code --iface} (names or addresses, the first that exists wins), then
     * {@code --iface-regex} (matched against each interface's addresses, then names), then {@code --iface-can-reach}
     * (the interface of the route to that address). None given: the interface holding {@code --public-ip}, else the
     * default route's.
     */
    public record Choice(List<String> ifaces, List<String> regexes, String canReach) {
        public Choice {
            ifaces = List.copyOf(ifaces);
            regexes = List.copyOf(regexes);
        }

        public static Choice defaultRoute() {
            return new Choice(List.of(), List.of(), null);
        }

        public static Choice of(String iface) {
            return iface == null ? defaultRoute() : new Choice(List.of(iface), List.of(), null);
        }

        boolean given() {
            return !ifaces.isEmpty() || !regexes.isEmpty() || canReach != null;
        }

        /** Each regex compiled, refused with the flag's name when it does not compile. */
        List<Pattern> patterns() {
            List<Pattern> out = new ArrayList<>();
            for (String r : regexes) {
                try {
                    out.add(Pattern.compile(r));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("--iface-regex " + r + ": not a regular expression (" + e.getDescription() + ")");
                }
            }
            return out;
        }
    }

    /** The interface {@code choice} names; {@code publicIp} (or null) picks one when the choice names none. */
    public static Underlay select(IpReader reader, Choice choice, Ipv4Address publicIp) {
        return select(reader, choice, publicIp, true);
    }

    /**
     * The same, where {@code needIpv4} false (an IPv6-only cluster) takes an interface without an IPv4 address too,
     * and the default interface is the one of the IPv6 default route; {@link #withIpv6} then adds its IPv6 side.
     */
    public static Underlay select(IpReader reader, Choice choice, Ipv4Address publicIp, boolean needIpv4) {
        boolean v4 = needIpv4;
        List<IfAddress> all = reader.addresses();
        if (!choice.given()) {
            if (publicIp != null) {
                // flanneld looks the interface up by --public-ip; one that no interface holds (a NAT address) fails
                // there, and weft takes the default route's interface instead
                for (IfAddress a : all) if (a.address().equals(publicIp)) return of(reader, v4, all, a.dev(), (Ipv4Address) a.address());
            }
            String dev = (v4 ? reader.routes() : reader.routes6()).stream().filter(r -> r.dst().prefix() == 0).map(RouteEntry::dev).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "no default route to pick the external interface from; pass --iface NAME"));
            return of(reader, v4, all, dev, null);
        }
        List<String> tried = new ArrayList<>();
        for (String spec : choice.ifaces()) {
            try {
                return byNameOrAddress(reader, v4, all, spec);
            } catch (IllegalArgumentException e) {
                LOG.info("--iface " + spec + ": " + e.getMessage() + "; trying the next choice");
                tried.add("--iface " + spec);
            }
        }
        for (Pattern p : choice.patterns()) {
            // addresses first, then names, each in the kernel's interface order (ipmatch.LookupExtIface)
            for (IfAddress a : all) if (p.matcher(a.address().toString()).find()) return of(reader, v4, all, a.dev(), (Ipv4Address) a.address());
            for (LinkInfo l : reader.links()) {
                if (p.matcher(l.name()).find()) {
                    try {
                        return of(reader, v4, all, l.name(), null);
                    } catch (IllegalArgumentException e) {
                        break; // flanneld takes the first name that matches, address or not
                    }
                }
            }
            LOG.info("--iface-regex " + p + " matches no interface; trying the next choice");
            tried.add("--iface-regex " + p);
        }
        if (choice.canReach() != null) {
            Ipv4Address target;
            try {
                target = Ipv4Address.parse(choice.canReach());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--iface-can-reach " + choice.canReach() + ": not an IPv4 address");
            }
            try {
                RouteLookup r = reader.routeGet(target);
                return of(reader, v4, all, r.dev(), r.source());
            } catch (RuntimeException e) {
                tried.add("--iface-can-reach " + choice.canReach() + " (no route)");
            }
        }
        List<String> have = all.stream().map(a -> a.dev() + " " + a.address()).toList();
        throw new IllegalArgumentException("no interface matches " + String.join(", ", tried) + " (this node has " + have + ")");
    }

    private static Underlay byNameOrAddress(IpReader reader, boolean v4, List<IfAddress> all, String spec) {
        if (spec.contains(":")) {
            // an IPv6 address names the interface holding it, as flannel's GetInterfaceByIP6
            Ipv6Address want = Ipv6Address.parse(spec);
            IfAddress6 a = reader.addresses6().stream().filter(x -> x.address().equals(want)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no interface has that address"));
            return of(reader, v4, all, a.dev(), null);
        }
        if (Character.isDigit(spec.charAt(0)) && spec.contains(".") && !spec.contains("/")) {
            Ipv4Address want = Ipv4Address.parse(spec);
            IfAddress a = all.stream().filter(x -> x.address().equals(want)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no interface has that address"));
            return of(reader, v4, all, a.dev(), (Ipv4Address) a.address());
        }
        return of(reader, v4, all, spec, null);
    }

    /** {@code dev} with {@code address} on it, or its first IPv4 address when null (none, when {@code v4} is false). */
    private static Underlay of(IpReader reader, boolean v4, List<IfAddress> all, String dev, Ipv4Address address) {
        LinkInfo link = reader.link(dev).orElseThrow(() -> new IllegalArgumentException("no such interface"));
        IfAddress addr = all.stream().filter(a -> a.dev().equals(dev) && (address == null || a.address().equals(address)))
                .findFirst().orElse(null);
        if (addr == null && (v4 || address != null)) throw new IllegalArgumentException(dev + " has no IPv4 address");
        if (link.mtu() == 0) throw new IllegalArgumentException("cannot tell the MTU of " + dev);
        if (addr == null) return new Underlay(dev, null, null, link.mtu());
        Ipv4Address a = (Ipv4Address) addr.address();
        return new Underlay(dev, a, Ipv4Cidr.parseLenient(a + "/" + addr.prefix()), link.mtu());
    }
}
