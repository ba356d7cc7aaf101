package io.weft.agent;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.hostgw.HostGwBackend;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.backend.vxlan.VxlanBackend;
import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.underlay.Underlay;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;

/** The backends weftd builds, by net-conf.json's Backend.Type and Datapath: weftd's {@link Agent.BackendFactory}. */
final class Backends {
    private Backends() {}

    public static Backend create(Netns ns, BackendConf conf, Ipv4Cidr network, Underlay u, Ipv4Address publicIp,
                                 MacAddress previousMac) {
        return switch (conf.type()) {
            case BackendConf.HOST_GW -> new HostGwBackend(u.iface(), publicIp, u.network(), u.mtu());
            case BackendConf.VXLAN -> {
                if (conf.isUserspace()) {
                    yield UserspaceVxlanBackend.create(ns, conf, u, publicIp, previousMac);
                }
                yield new VxlanBackend(ns, conf, u.iface(), u.address(), publicIp, u.network(), u.mtu(), previousMac);
            }
            case BackendConf.WIREGUARD -> WireGuardBackend.create(ns, conf, u, publicIp, network);
            default -> throw new BackendException("unknown backend type " + conf.type());
        };
    }
}
