package io.weft.agent.backend.hostgw;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/** flannel's host-gw: no tunnel, a route to every peer's subnet via its public IP; all nodes share one L2 segment. */
public final class HostGwBackend implements Backend {
    /** Whether the host-gw backend carries IPv6 (EnableIPv6); preflight refuses IPv6 to a backend that does not. */
    public static final boolean CARRIES_IPV6 = false;
    private static final Logger LOG = Logger.getLogger(HostGwBackend.class.getName());
    private final String iface;
    private final Ipv4Address publicIp;
    private final Ipv4Cidr ifaceNet;
    private final int mtu;
    private final Set<String> warned = new HashSet<>();

    public HostGwBackend(String iface, Ipv4Address publicIp, Ipv4Cidr ifaceNet, int ifaceMtu) {
        this.iface = iface;
        this.publicIp = publicIp;
        this.ifaceNet = ifaceNet;
        this.mtu = ifaceMtu;
    }

    @Override
    public String type() {
        return BackendConf.HOST_GW;
    }

    @Override
    public LeaseRecord prepare() {
        return LeaseRecord.hostGw(publicIp);
    }

    @Override
    public void activate(Ipv4Cidr localSubnet) {}

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public DesiredState desired(Ipv4Cidr localSubnet, List<Lease> remotes) {
        Set<RouteEntry> routes = new HashSet<>();
        for (Lease l : remotes) {
            if (l.subnet().equals(localSubnet) || l.attrs().publicIp().equals(publicIp)) continue;
            if (!BackendConf.HOST_GW.equals(l.attrs().backendType())) {
                if (warned.add(l.subnet().toString())) {
                    LOG.warning("skipping lease " + l.subnet() + ": backend type \"" + l.attrs().backendType() + "\" is not host-gw");
                }
                continue;
            }
            if (ifaceNet != null && !ifaceNet.contains(l.attrs().publicIp())) {
                if (warned.add(l.subnet() + "l2")) {
                    LOG.warning("skipping lease " + l.subnet() + ": " + l.attrs().publicIp() + " is not on " + iface
                            + "'s network " + ifaceNet + " (host-gw needs one L2 segment)");
                }
                continue;
            }
            routes.add(RouteEntry.via(l.subnet(), l.attrs().publicIp(), iface));
        }
        return new DesiredState(routes, Set.of(), Set.of());
    }

    @Override
    public Set<String> ownedDevices() {
        return Set.of(iface);
    }

    @Override
    public boolean ensureDevice(Ipv4Cidr localSubnet) {
        return false;
    }

    @Override
    public void close() {}
}
