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

    /** The peer {@code l} asks of the device, and whether the device holds it (its key, routing its subnet). */
    static List<NodeStatus.Entry> entries(Lease l, WireGuardBackend.View v) {
        LeaseRecord a = l.attrs();
        if (!BackendConf.WIREGUARD.equals(a.backendType()) || a.publicKey() == null) return List.of();
        int port = a.wireguardPort() > 0 ? a.wireguardPort() : v.listenPort();
        String want = "peer " + a.publicKey() + " endpoint " + a.publicIp() + ":" + port + " allowed-ips " + l.subnet();
        WgTool.PeerState have = v.peers().stream().filter(p -> p.publicKey().equals(a.publicKey())).findFirst().orElse(null);
        // the endpoint is not compared: WireGuard follows a peer that roams (behind NAT, another port)
        boolean ok = have != null && have.allowedIps().contains(l.subnet());
        String seen = have == null || ok ? null : "peer " + have.publicKey() + " endpoint " + have.endpoint()
                + " allowed-ips " + have.allowedIps();
        return List.of(new NodeStatus.Entry(PEER, want, ok, seen, null));
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
