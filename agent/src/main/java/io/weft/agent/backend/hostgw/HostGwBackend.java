package io.weft.agent.backend.hostgw;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * flannel's host-gw: no tunnel, a route to every peer's subnet via its public IP; all nodes share one L2 segment.
 * With IPv6, each peer's IPv6 subnet gets a route via its PublicIPv6 the same way (hostgw.go RegisterNetwork's
 * GetV6Route, route_network.go).
 */
public final class HostGwBackend implements Backend {
    /** The host-gw backend carries IPv6 (EnableIPv6). */
    public static final boolean CARRIES_IPV6 = true;
    private static final Logger LOG = Logger.getLogger(HostGwBackend.class.getName());
    private final String iface;
    private final Ipv4Address publicIp; // null on an IPv6-only cluster
    private final Ipv4Cidr ifaceNet;
    private final Ipv6Address publicIpv6; // null without EnableIPv6
    private final Ipv6Cidr ifaceNetV6;
    private final int mtu;
    private final Set<String> warned = new HashSet<>();

    public HostGwBackend(String iface, Ipv4Address publicIp, Ipv4Cidr ifaceNet, int ifaceMtu) {
        this(iface, publicIp, ifaceNet, null, null, ifaceMtu);
    }

    /** {@code publicIp} or {@code publicIpv6} null: that family is off. */
    public HostGwBackend(String iface, Ipv4Address publicIp, Ipv4Cidr ifaceNet, Ipv6Address publicIpv6, Ipv6Cidr ifaceNetV6,
                         int ifaceMtu) {
        this.iface = iface;
        this.publicIp = publicIp;
        this.ifaceNet = ifaceNet;
        this.publicIpv6 = publicIpv6;
        this.ifaceNetV6 = ifaceNetV6;
        this.mtu = ifaceMtu;
    }

    @Override
    public String type() {
        return BackendConf.HOST_GW;
    }

    @Override
    public LeaseRecord prepare() {
        return publicIpv6 == null ? LeaseRecord.hostGw(publicIp) : LeaseRecord.hostGw(publicIp, publicIpv6);
    }

    @Override
    public void activate(Lease local) {}

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public DesiredState desired(Lease local, List<Lease> remotes) {
        Set<RouteEntry> routes = new HashSet<>();
        for (Lease l : remotes) {
            LeaseRecord a = l.attrs();
            if (!BackendConf.HOST_GW.equals(a.backendType())) {
                if (warned.add(l.key())) {
                    LOG.warning("skipping lease " + l.describe() + ": backend type \"" + a.backendType() + "\" is not host-gw");
                }
                continue;
            }
            if (publicIp != null && l.subnet() != null && !LeaseRecord.NO_IPV4.equals(a.publicIp())
                    && !l.subnet().equals(local.subnet()) && !a.publicIp().equals(publicIp)) {
                route(l.subnet(), a.publicIp(), ifaceNet, routes);
            }
            if (publicIpv6 != null && l.ipv6Subnet() != null && a.publicIpv6() != null
                    && !l.ipv6Subnet().equals(local.ipv6Subnet()) && !a.publicIpv6().equals(publicIpv6)) {
                route(l.ipv6Subnet(), a.publicIpv6(), ifaceNetV6, routes);
            }
        }
        return new DesiredState(routes, Set.of(), Set.of());
    }

    private void route(IpCidr subnet, IpAddress gateway, IpCidr segment, Set<RouteEntry> routes) {
        if (segment != null && !segment.contains(gateway)) {
            if (warned.add(subnet + "l2")) {
                LOG.warning("skipping lease " + subnet + ": " + gateway + " is not on " + iface + "'s network " + segment
                        + " (host-gw needs one L2 segment)");
            }
            return;
        }
        routes.add(RouteEntry.via(subnet, gateway, iface));
    }

    @Override
    public Set<String> ownedDevices() {
        return Set.of(iface);
    }

    @Override
    public boolean ensureDevice(Lease local) {
        return false;
    }

    @Override
    public void close() {}
}
