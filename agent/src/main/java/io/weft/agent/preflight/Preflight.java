package io.weft.agent.preflight;

import io.weft.agent.underlay.Underlay;
import io.weft.core.config.BackendConf;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IfAddress6;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.List;

/**
 * What the network config asks of this node, checked against the node before anything on it is touched, so that
 * a config that cannot work is refused with the field's name and the node stays as it was:
 * <ul>
 *   <li>the pod {@code Network} must not overlap the underlay, nor the node's other addresses and the networks it
 *       routes to: pods would hide those addresses from the node, and routes to other nodes' subnets would catch
 *       the node's own traffic (VXLAN packets included);</li>
 *   <li>{@code IPv6Network} likewise must not overlap the node's global IPv6 addresses;</li>
 *   <li>{@code Backend.MTU} (the underlay's MTU, as flannel reads it) must fit the underlay interface: packets
 *       sized for a bigger underlay would be dropped on the wire.</li>
 * </ul>
 * A block inside the Network that is at most one node's subnet in size (a bridge such as cni0, the VXLAN device's
 * address, host-gw routes to peers) is the pod network's own and allowed.
 */
public final class Preflight {
    private Preflight() {}

    /** Refuses ({@link ConfigException} naming the field) a config this node cannot run. */
    public static void check(NetConf conf, Underlay underlay, IpReader reader) {
        check(conf, underlay, reader.addresses(), reader.routes(), conf.enableIPv6() ? reader.addresses6() : List.of());
    }

    /** The same, against the node's addresses and routes as given (no IPv6 addresses). */
    public static void check(NetConf conf, Underlay underlay, List<IfAddress> addresses, List<RouteEntry> routes) {
        check(conf, underlay, addresses, routes, List.of());
    }

    /** The same, against the node's IPv4 addresses and routes and its IPv6 addresses as given. */
    public static void check(NetConf conf, Underlay underlay, List<IfAddress> addresses, List<RouteEntry> routes,
                             List<IfAddress6> addresses6) {
        Ipv4Cidr net = conf.network();
        if (net != null) ipv4(conf, net, underlay, addresses, routes);
        if (conf.ipv6Network() != null) ipv6(conf, conf.ipv6Network(), underlay, addresses6);
        BackendConf b = conf.backend();
        if (b.mtu() > underlay.mtu()) {
            throw new ConfigException("Backend.MTU", b.mtu() + " is more than " + underlay.iface() + " carries (its MTU is "
                    + underlay.mtu() + "): Backend.MTU is the underlay's MTU, as in flannel; give at most "
                    + underlay.mtu() + ", or leave it out to use " + underlay.iface() + "'s");
        }
        BackendFamilies.check(conf);
    }

    private static void ipv4(NetConf conf, Ipv4Cidr net, Underlay underlay, List<IfAddress> addresses, List<RouteEntry> routes) {
        if (net.contains(underlay.address()) || net.overlaps(underlay.network())) {
            throw new ConfigException("Network", net + " overlaps the underlay: " + underlay.iface() + " has "
                    + underlay.address() + "/" + underlay.network().prefix() + "; pick a Network that no node address uses");
        }
        for (IfAddress a : addresses) {
            if (a.dev().startsWith("flannel")) continue;
            Ipv4Cidr block = Ipv4Cidr.parseLenient(a.address() + "/" + a.prefix());
            if ((net.contains(a.address()) || net.overlaps(block)) && !podSide(conf, block)) {
                throw new ConfigException("Network", net + " overlaps " + a.dev() + "'s address " + a.address() + "/"
                        + a.prefix() + " on this node; pick a Network that none of the node's networks overlaps");
            }
        }
        for (RouteEntry r : routes) {
            if (!(r.dst() instanceof Ipv4Cidr dst) || dst.prefix() == 0 || (r.dev() != null && r.dev().startsWith("flannel"))) continue;
            if (net.contains(dst) && !podSide(conf, dst)) {
                throw new ConfigException("Network", net + " overlaps this node's route to " + r + "; pick a Network that "
                        + "none of the node's routes lead into");
            }
        }
    }

    /**
     * {@code IPv6Network} must not overlap the node's global IPv6 addresses (the underlay's among them), as Network must
     * not overlap its IPv4 ones; a block of at most one node's IPv6 subnet inside it (cni0's gateway) is the pods'.
     */
    private static void ipv6(NetConf conf, Ipv6Cidr net, Underlay underlay, List<IfAddress6> addresses6) {
        if (underlay.addressV6() != null && net.contains(underlay.addressV6())) {
            throw new ConfigException("IPv6Network", net + " overlaps the underlay: " + underlay.iface() + " has "
                    + underlay.addressV6() + "; pick an IPv6Network that no node address uses");
        }
        for (IfAddress6 a : addresses6) {
            if (a.dev().startsWith("flannel") || !a.global()) continue;
            Ipv6Cidr block = Ipv6Cidr.parseLenient(a.address() + "/" + a.prefix());
            boolean podSide = net.contains(block) && block.prefix() >= conf.ipv6SubnetLen();
            if ((net.contains(a.address()) || net.overlaps(block)) && !podSide) {
                throw new ConfigException("IPv6Network", net + " overlaps " + a.dev() + "'s address " + a.address() + "/"
                        + a.prefix() + " on this node; pick an IPv6Network that none of the node's networks overlaps");
            }
        }
    }

    /** A block inside the Network no bigger than one node's subnet: a bridge, a VTEP address, a route to a peer. */
    private static boolean podSide(NetConf conf, Ipv4Cidr block) {
        return conf.network().contains(block) && block.prefix() >= conf.subnetLen();
    }
}
