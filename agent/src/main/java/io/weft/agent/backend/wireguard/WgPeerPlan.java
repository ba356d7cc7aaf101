package io.weft.agent.backend.wireguard;

import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Which WireGuard peer each other node's lease makes, on which device, as flannel's wireguard_network.go
 * handleSubnetEvents decides. Separate mode: the lease's IPv4 side is a peer of {@code flannel-wg} (BackendData's key
 * and port, endpoint PublicIP, allowed IPs its IPv4 subnet), its IPv6 side a peer of {@code flannel-wg-v6}
 * (BackendV6Data's, endpoint PublicIPv6, its IPv6 subnet). Modes auto, ipv4 and ipv6: one peer of {@code flannel-wg}
 * whose allowed IPs are both subnets, with BackendV6Data's key and port when the lease has IPv6 (else BackendData's),
 * reached at PublicIP (ipv4), PublicIPv6 (ipv6) or, in auto, at the address flannel's selectPublicEndpoint picks. A
 * lease without a port means our own (flannel before it published ports).
 */
final class WgPeerPlan {
    private static final Logger LOG = Logger.getLogger(WgPeerPlan.class.getName());

    /** The peers of {@code flannel-wg} and of {@code flannel-wg-v6} (empty outside separate mode). */
    record Peers(List<WgTool.PeerSpec> main, List<WgTool.PeerSpec> v6) {}

    private final WireGuardConf wg;
    private final Ipv4Address publicIp;
    private final Ipv6Address publicIpv6;
    private final Set<String> warned = new HashSet<>();

    /**
     * @param publicIp   this node's PublicIP, null on an IPv6-only cluster
     * @param publicIpv6 this node's PublicIPv6, null without IPv6
     */
    WgPeerPlan(WireGuardConf wg, Ipv4Address publicIp, Ipv6Address publicIpv6) {
        this.wg = wg;
        this.publicIp = publicIp;
        this.publicIpv6 = publicIpv6;
    }

    Peers plan(List<Lease> remotes) {
        List<WgTool.PeerSpec> main = new ArrayList<>();
        List<WgTool.PeerSpec> v6 = new ArrayList<>();
        for (Lease l : remotes) {
            LeaseRecord r = l.attrs();
            if (!BackendConf.WIREGUARD.equals(r.backendType())) {
                warn(l, "backend type \"" + r.backendType() + "\" is not wireguard");
                continue;
            }
            boolean has4 = publicIp != null && l.subnet() != null && r.publicKey() != null;
            boolean has6 = publicIpv6 != null && l.ipv6Subnet() != null && r.hasIpv6() && r.publicKeyV6() != null;
            if (!has4 && !has6) {
                if (l.subnet() != null || l.ipv6Subnet() != null) warn(l, "wireguard lease without a PublicKey");
                continue;
            }
            if (wg.separate()) {
                if (has4) add(main, l, r.publicKey(), r.publicIp(), port(r.wireguardPort(), wg.listenPort()), List.of(l.subnet()));
                if (has6) add(v6, l, r.publicKeyV6(), r.publicIpv6(), port(r.wireguardPortV6(), wg.listenPortV6()), List.of(l.ipv6Subnet()));
                continue;
            }
            IpAddress to = endpoint(has4 ? r.publicIp() : null, has6 ? r.publicIpv6() : null);
            if (to == null) {
                warn(l, "Mode " + wg.mode() + " reaches a peer at its " + (WireGuardConf.IPV6.equals(wg.mode()) ? "PublicIPv6" : "PublicIP")
                        + ", which this lease does not have");
                continue;
            }
            List<IpCidr> allowed = new ArrayList<>(2);
            if (has4) allowed.add(l.subnet());
            if (has6) allowed.add(l.ipv6Subnet());
            String key = has6 ? r.publicKeyV6() : r.publicKey();
            add(main, l, key, to, port(has6 ? r.wireguardPortV6() : r.wireguardPort(), wg.listenPort()), allowed);
        }
        return new Peers(List.copyOf(main), List.copyOf(v6));
    }

    private void add(List<WgTool.PeerSpec> to, Lease l, String key, IpAddress address, int port, List<IpCidr> allowed) {
        if (!validKey(key)) {
            warn(l, "PublicKey is not a WireGuard key");
            return;
        }
        to.add(new WgTool.PeerSpec(key, wg.psk(), new InetSocketAddress(address.toInetAddress(), port), List.copyOf(allowed),
                wg.persistentKeepalive()));
    }

    private static int port(int fromLease, int ours) {
        return fromLease > 0 ? fromLease : ours;
    }

    /**
     * The peer's address for modes ipv4, ipv6 and auto, or null when the lease lacks it. Auto is flannel's
     * selectPublicEndpoint: the only address the peer has; else its IPv4 one if that is no RFC 1918 address and this
     * node has IPv4; else its IPv6 one if neither it nor ours is an RFC 4193 (fc00::/7) address; else IPv4. weft counts
     * an IPv6-only lease's PublicIP (0.0.0.0) as no address, where flannel would dial 0.0.0.0.
     */
    IpAddress endpoint(Ipv4Address ip4, Ipv6Address ip6) {
        return switch (wg.mode()) {
            case WireGuardConf.IPV4 -> ip4;
            case WireGuardConf.IPV6 -> ip6;
            default -> {
                if (ip6 == null || ip4 == null) yield ip4 != null ? ip4 : ip6;
                if (!isPrivate(ip4) && publicIp != null) yield ip4;
                if (!isPrivate(ip6) && publicIpv6 != null && !isPrivate(publicIpv6)) yield ip6;
                yield ip4;
            }
        };
    }

    /** flannel's ip.IP4.IsPrivate: RFC 1918. */
    static boolean isPrivate(Ipv4Address a) {
        int v = a.value();
        return (v >>> 24) == 10 || (v >>> 20) == 0xac1 || (v >>> 16) == 0xc0a8;
    }

    /** flannel's ip.IP6.IsPrivate: RFC 4193 unique local addresses, fc00::/7. */
    static boolean isPrivate(Ipv6Address a) {
        return (a.high() >>> 57) == (0xfcL >>> 1);
    }

    private static boolean validKey(String s) {
        try {
            return s.length() == 44 && Base64.getDecoder().decode(s).length == 32;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void warn(Lease l, String why) {
        if (warned.add(l.describe() + why)) LOG.warning("skipping lease " + l.describe() + ": " + why);
    }
}
