package io.weft.agent;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.hostgw.HostGwBackend;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.backend.vxlan.VxlanBackend;
import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.underlay.Underlay;
import io.weft.core.config.BackendConf;
import io.weft.core.config.NetConf;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;

/** The backends weftd builds, by net-conf.json's Backend.Type and Datapath: weftd's {@link Agent.BackendFactory}. */
final class Backends {
    private Backends() {}

    public static Backend create(Netns ns, NetConf net, Underlay u, Ipv4Address publicIp, Ipv6Address publicIpv6,
                                 PreviousMacs previous) {
        BackendConf conf = net.backend();
        return switch (conf.type()) {
            case BackendConf.HOST_GW -> new HostGwBackend(u.iface(), publicIp, u.network(), publicIpv6, u.networkV6(), u.mtu());
            case BackendConf.VXLAN -> {
                if (conf.isUserspace()) {
                    yield UserspaceVxlanBackend.create(ns, conf, u, publicIp, previous.v4(), publicIpv6, previous.v6());
                }
                yield new VxlanBackend(ns, conf, u.iface(), u.mtu(),
                        publicIp == null ? null : new VxlanBackend.Side(u.address(), publicIp, u.network(), previous.v4()),
                        publicIpv6 == null ? null : new VxlanBackend.Side(u.addressV6(), publicIpv6, u.networkV6(), previous.v6()));
            }
            case BackendConf.WIREGUARD -> WireGuardBackend.create(ns, conf, u, publicIp, publicIpv6, net);
            default -> throw new BackendException("unknown backend type " + conf.type());
        };
    }
}
