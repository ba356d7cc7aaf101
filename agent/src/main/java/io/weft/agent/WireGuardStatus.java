package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.backend.wireguard.tunnel.WgCounters;
import io.weft.agent.backend.wireguard.tunnel.WgDrop;
import io.weft.agent.status.NodeStatus;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wireguard backend's part of {@code weftd status}: the device (what runs it, its listen port and public key),
 * and for each peer lease the WireGuard peer the device should hold for it (its key, endpoint and subnet) beside
 * what the device holds, with weft's own device's counters. The kernel entries of the VXLAN backends do not exist
 * here: one route for the whole Network goes through {@code flannel-wg} and the device picks the peer.
 */
final class WireGuardStatus {
    static final String PEER = "wireguard peer";

    private WireGuardStatus() {}

    static NodeStatus.Backend backend(BackendConf bc, Underlay u, int underlayMtu, int mtu, WireGuardBackend.View v) {
        String features = v.runsOn() == null ? "device not opened yet"
                : "WireGuard on " + v.runsOn() + ", listen port " + v.listenPort() + ", public key " + v.publicKey()
                + ", " + v.peers().size() + " peers on the device";
        return new NodeStatus.Backend(bc.type(), bc.isUserspace() ? BackendConf.USERSPACE : BackendConf.KERNEL,
                WireGuardBackend.DEVICE, v.working(), 0, v.listenPort(), mtu, null, u.iface(),
                String.valueOf(u.address() != null ? u.address() : u.addressV6()),
                underlayMtu, features, v.counters().isEmpty() ? null : counters(v.counters().getLast()));
    }

    /**
     * The peer {@code l} asks of the devices, one entry per family its lease has (IPv4: BackendData, IPv6:
     * BackendV6Data), and whether a device holds that key routing that subnet.
     */
    static List<NodeStatus.Entry> entries(Lease l, WireGuardBackend.View v) {
        LeaseRecord a = l.attrs();
        if (!BackendConf.WIREGUARD.equals(a.backendType())) return List.of();
        List<NodeStatus.Entry> out = new java.util.ArrayList<>(2);
        if (a.publicKey() != null && l.subnet() != null) {
            int port = a.wireguardPort() > 0 ? a.wireguardPort() : v.listenPort();
            out.add(entry("peer " + a.publicKey() + " endpoint " + a.publicIp() + ":" + port + " allowed-ips " + l.subnet(),
                    a.publicKey(), l.subnet(), v));
        }
        if (a.publicKeyV6() != null && l.ipv6Subnet() != null) {
            // the endpoint depends on the Mode (auto may dial the IPv4 address) and is not compared anyway
            out.add(entry("peer " + a.publicKeyV6() + " allowed-ips " + l.ipv6Subnet(), a.publicKeyV6(), l.ipv6Subnet(), v));
        }
        return out;
    }

    private static NodeStatus.Entry entry(String want, String key, IpCidr subnet, WireGuardBackend.View v) {
        List<WgTool.PeerState> withKey = v.peers().stream().filter(p -> p.publicKey().equals(key)).toList();
        // the endpoint is not compared: WireGuard follows a peer that roams (behind NAT, another port)
        boolean ok = withKey.stream().anyMatch(p -> p.allowedIps().contains(subnet));
        WgTool.PeerState have = withKey.isEmpty() ? null : withKey.getFirst();
        String seen = have == null || ok ? null : "peer " + have.publicKey() + " endpoint " + have.endpoint()
                + " allowed-ips " + have.allowedIps();
        return new NodeStatus.Entry(PEER, want, ok, seen, null);
    }

    /** weft's own device's counters for the peer at {@code publicIp}; null on the kernel's device. */
    static NodeStatus.Counters counters(String publicIp, WireGuardBackend.View v) {
        if (v.counters().isEmpty()) return null;
        for (WgCounters c : v.counters()) if (publicIp.equals(c.peer())) return counters(c);
        return new NodeStatus.Counters(0, 0, 0, 0, Map.of());
    }

    private static NodeStatus.Counters counters(WgCounters c) {
        Map<String, Long> drops = new LinkedHashMap<>();
        for (WgDrop r : WgDrop.values()) drops.put(r.label(), c.drops(r));
        return new NodeStatus.Counters(c.rxPackets(), c.rxBytes(), c.txPackets(), c.txBytes(), drops);
    }
}
