package io.weft.agent.preflight;

import io.weft.agent.backend.hostgw.HostGwBackend;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.backend.vxlan.VxlanBackend;
import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.core.config.BackendConf;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;

/**
 * Which backends carry IPv6: each backend says so itself ({@code CARRIES_IPV6} in its class), and a config asking a
 * backend for IPv6 it does not carry is refused before the node is touched, in one line naming EnableIPv6; so is an
 * IPv6-only cluster, which the agent does not run yet.
 */
final class BackendFamilies {
    private BackendFamilies() {}

    static void check(NetConf conf) {
        if (conf.ipv6Only()) {
            // the lease stores key leases by their IPv4 subnet, and the underlay needs an IPv4 address
            throw new ConfigException("EnableIPv4", "false (an IPv6-only cluster) is not run by weft yet; run dual-stack"
                    + " (EnableIPv4 true, with Network) meanwhile");
        }
        if (!conf.enableIPv6()) return;
        BackendConf b = conf.backend();
        if (carriesIpv6(b)) return;
        String which = "the " + b.type() + " backend" + (BackendConf.HOST_GW.equals(b.type()) ? "" : " (" + b.datapath() + " datapath)");
        throw new ConfigException("EnableIPv6", which + " does not carry IPv6 in this weft; leave EnableIPv6 out"
                + " (or false) or pick a backend that does");
    }

    static boolean carriesIpv6(BackendConf b) {
        return switch (b.type()) {
            case BackendConf.VXLAN -> b.isUserspace() ? UserspaceVxlanBackend.CARRIES_IPV6 : VxlanBackend.CARRIES_IPV6;
            case BackendConf.HOST_GW -> HostGwBackend.CARRIES_IPV6;
            case BackendConf.WIREGUARD -> WireGuardBackend.CARRIES_IPV6;
            default -> false;
        };
    }
}
