package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import io.weft.agent.backend.Backend;
import io.weft.agent.backend.userspace.PeerCounters;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.backend.vxlan.VxlanBackend;
import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.reconcile.EntryState;
import io.weft.agent.reconcile.Reconciler;
import io.weft.agent.status.NodeStatus;
import io.weft.agent.status.Problems;
import io.weft.agent.status.RecentErrors;
import io.weft.agent.subnet.Lease;
import io.weft.agent.traffic.RuleState;
import io.weft.agent.traffic.TrafficRules;
import io.weft.core.config.BackendConf;
import io.weft.core.config.NetConf;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The agent's state as {@code weftd status} shows it: the agent hands it each part as the part comes up (config,
 * backend, lease, reconciler, rules) and {@link #snapshot()} reads them, with the kernel, without changing anything.
 * It keeps the debug API free of the agent's parts: the debug side sees a {@link NodeStatus} only.
 */
final class AgentStatus {
    private static final int DEPARTED_KEPT = 16;

    private final Netns ns;
    private final String store;
    private final RecentErrors errors = new RecentErrors(20);
    private volatile String phase = "starting";
    private volatile boolean ready;
    private volatile NetConf conf;
    private volatile Underlay underlay;
    private volatile Backend backend;
    private volatile LeaseRecord attrs;
    private volatile Lease lease;
    private volatile Reconciler reconciler;
    private volatile TrafficRules traffic;
    private volatile List<Lease> leases = List.of();
    private final Deque<NodeStatus.Departed> departed = new ArrayDeque<>();

    AgentStatus(Netns ns, String store) {
        this.ns = ns;
        this.store = store;
    }

    /** Collects the agent's warnings and errors while it runs ({@link #close()} stops that). */
    AgentStatus open() {
        Logger.getLogger("").addHandler(errors);
        return this;
    }

    void close() {
        Logger.getLogger("").removeHandler(errors);
    }

    void phase(String what) {
        phase = what;
    }

    void ready() {
        ready = true;
        phase = null;
    }

    void started(NetConf conf, Underlay underlay, TrafficRules traffic) {
        this.conf = conf;
        this.underlay = underlay;
        this.traffic = traffic;
    }

    void backend(Backend backend, LeaseRecord attrs) {
        this.backend = backend;
        this.attrs = attrs;
    }

    void lease(Lease lease) {
        this.lease = lease;
    }

    void reconciler(Reconciler reconciler) {
        this.reconciler = reconciler;
    }

    void leases(List<Lease> all) {
        leases = List.copyOf(all);
    }

    void departed(io.weft.core.net.IpCidr subnet, Lease last) {
        synchronized (departed) {
            if (departed.size() == DEPARTED_KEPT) departed.removeFirst();
            departed.addLast(new NodeStatus.Departed(subnet.toString(),
                    last == null ? null : String.valueOf(last.attrs().publicIp()), Instant.now().toString()));
        }
    }

    NodeStatus snapshot() {
        Lease own = lease;
        NetConf c = conf;
        NodeStatus.Backend b = backendView();
        List<NodeStatus.Peer> peers = peers(own);
        NodeStatus.Firewall fw = firewall(b);
        boolean r = ready;
        String why = r ? null : phase;
        List<NodeStatus.Departed> gone;
        synchronized (departed) {
            gone = List.copyOf(departed);
        }
        NodeStatus.Lease mine = own == null ? null : new NodeStatus.Lease(own.primary().toString(),
                own.attrs().holder(), own.expiration().toString(), store);
        boolean inStore = own == null || !r || leases.stream().anyMatch(l -> l.primary().equals(own.primary()));
        return new NodeStatus(Instant.now().toString(), hostname(), r, why, c == null ? null : String.valueOf(c.network() != null ? c.network() : c.ipv6Network()),
                mine, b, peers, gone, fw, Problems.of(r, why, inStore ? null : mine, b, peers, fw), errors.lines());
    }

    private NodeStatus.Backend backendView() {
        NetConf c = conf;
        Underlay u = underlay;
        Backend be = backend;
        if (c == null || u == null) return null;
        BackendConf bc = c.backend();
        IpReader reader = new IpReader(ns);
        int underlayMtu = reader.link(u.iface()).map(LinkInfo::mtu).orElse(0);
        String vtepMac = attrs == null || attrs.vtepMac() == null ? null : attrs.vtepMac().toString();
        int mtu = be == null ? 0 : be.mtu();
        if (BackendConf.HOST_GW.equals(bc.type())) {
            return new NodeStatus.Backend(bc.type(), "routes", u.iface(), underlayMtu > 0, 0, 0, mtu, null, u.iface(),
                    underlayAddress(u), underlayMtu, "routes via the peers' public IPs on " + u.iface(), null);
        }
        if (be instanceof WireGuardBackend wg) return WireGuardStatus.backend(bc, u, underlayMtu, mtu, wg.view());
        String device = (c.enableIPv4() ? "flannel." : "flannel-v6.") + bc.vni(); // an IPv6-only node has only the v6 device
        Optional<LinkInfo> link = reader.link(device);
        boolean present;
        String features;
        NodeStatus.Counters strangers = null;
        if (be instanceof UserspaceVxlanBackend us) {
            strangers = counters(us.peers().unknown());
            present = link.isPresent() && "tun".equals(link.get().kind()) && link.get().up() && us.datapath() != null;
            features = us.datapath() == null ? "datapath not running" : us.datapath().features();
        } else {
            LinkInfo.Vxlan vx = link.map(LinkInfo::vxlan).orElse(null);
            present = vx != null && link.get().up() && (be == null || be.mtu() == link.get().mtu());
            features = vx == null ? (link.isPresent() ? "not a VXLAN device" : "device missing")
                    : "kernel VXLAN: VNI " + vx.vni() + ", port " + vx.port() + ", local " + vx.local() + " dev " + vx.dev()
                    + (vx.learning() ? ", learning" : ", nolearning") + ", MTU " + link.get().mtu()
                    + (be instanceof VxlanBackend && bc.directRouting() ? ", DirectRouting" : "");
        }
        return new NodeStatus.Backend(bc.type(), bc.isUserspace() ? BackendConf.USERSPACE : BackendConf.KERNEL, device,
                present, bc.vni(), bc.port(), mtu, vtepMac, u.iface(), underlayAddress(u), underlayMtu, features,
                strangers);
    }

    /** The underlay's IPv4 address, its IPv6 one on an IPv6-only node. */
    private static String underlayAddress(Underlay u) {
        return String.valueOf(u.address() != null ? u.address() : u.addressV6());
    }

    private List<NodeStatus.Peer> peers(Lease own) {
        if (own == null) return List.of();
        Reconciler rec = reconciler;
        List<EntryState> entries = rec == null ? List.of() : rec.inspect(own);
        UserspaceVxlanBackend us = backend instanceof UserspaceVxlanBackend u ? u : null;
        WireGuardBackend.View wg = backend instanceof WireGuardBackend w ? w.view() : null;
        Map<String, PeerCounters> counters = new LinkedHashMap<>();
        Map<String, String> userspaceFdb = new LinkedHashMap<>();
        if (us != null) {
            for (PeerCounters pc : us.peers().allCounters()) counters.put(pc.peer(), pc);
            us.peers().snapshot().peers().forEach(p -> userspaceFdb.put(p.mac().toString(), p.publicIp().toString()));
            // flannel-v6.<VNI>'s table: its VtepMACs are its own, so one map holds both
            if (us.ipv6() != null) {
                us.ipv6().peers().snapshot().peers().forEach(p -> userspaceFdb.put(p.mac().toString(), p.publicIp().toString()));
            }
        }
        List<NodeStatus.Peer> out = new ArrayList<>();
        for (Lease l : leases) {
            if (l.primary().equals(own.primary())) continue;
            LeaseRecord a = l.attrs();
            String mac = a.vtepMac() == null ? null : a.vtepMac().toString();
            List<NodeStatus.Entry> mine = new ArrayList<>();
            for (EntryState e : entries) {
                boolean belongs = switch (e.wanted()) {
                    case RouteEntry re -> re.dst().equals(l.subnet()) || re.dst().equals(l.ipv6Subnet());
                    case NeighEntry ne -> l.subnet() != null && l.subnet().contains(ne.ip())
                            || l.ipv6Subnet() != null && l.ipv6Subnet().contains(ne.ip());
                    case FdbEntry fe -> a.vtepMac() != null && fe.mac().equals(a.vtepMac());
                    default -> false;
                };
                if (belongs) {
                    mine.add(new NodeStatus.Entry(e.kind(), e.wanted().toString(), e.present(),
                            e.have() == null || e.present() ? null : e.have().toString(), e.since().toString()));
                }
            }
            if (us != null && mac != null) {
                String dst = userspaceFdb.get(mac);
                boolean ok = String.valueOf(a.publicIp()).equals(dst);
                mine.add(new NodeStatus.Entry("fdb", mac + " dst " + a.publicIp() + " (weftd's userspace FDB)", ok,
                        ok || dst == null ? null : mac + " dst " + dst, null));
            }
            if (us != null && us.ipv6() != null && a.vtepMacV6() != null && a.publicIpv6() != null) {
                String mac6 = a.vtepMacV6().toString();
                String dst = userspaceFdb.get(mac6);
                boolean ok = a.publicIpv6().toString().equals(dst);
                mine.add(new NodeStatus.Entry("fdb", mac6 + " dst " + a.publicIpv6() + " (weftd's userspace FDB of "
                        + us.ipv6().device() + ")", ok, ok || dst == null ? null : mac6 + " dst " + dst, null));
            }
            PeerCounters pc = counters.get(String.valueOf(a.publicIp()));
            NodeStatus.Counters seen = pc == null ? (us == null ? null : zero()) : counters(pc);
            if (wg != null) {
                mine.addAll(WireGuardStatus.entries(l, wg));
                seen = WireGuardStatus.counters(String.valueOf(a.publicIp()), wg);
            }
            out.add(new NodeStatus.Peer(l.primary().toString(), a.holder(), a.backendType(), mac,
                    a.publicKey(), l.expiration().toString(), mine, seen));
        }
        return out;
    }

    private static NodeStatus.Counters counters(PeerCounters pc) {
        Map<String, Long> drops = new LinkedHashMap<>();
        for (var r : io.weft.agent.backend.userspace.DropReason.values()) drops.put(r.label(), pc.drops(r));
        return new NodeStatus.Counters(pc.rxPackets(), pc.rxBytes(), pc.txPackets(), pc.txBytes(), drops);
    }

    private static NodeStatus.Counters zero() {
        return new NodeStatus.Counters(0, 0, 0, 0, Map.of());
    }

    private NodeStatus.Firewall firewall(NodeStatus.Backend b) {
        TrafficRules t = traffic;
        if (t == null) return null;
        // the tunnel's UDP port: VXLAN's, or WireGuard's listen port
        TrafficRules.Firewall f = t.inspect(b != null && b.port() > 0 ? b.port() : 0);
        List<NodeStatus.Rule> rules = new ArrayList<>();
        for (RuleState r : f.rules()) rules.add(new NodeStatus.Rule(r.name(), r.state(), r.detail()));
        return new NodeStatus.Firewall(rules, f.forwardPolicy() == null ? null : f.forwardPolicy().target(),
                f.forwardPolicy() == null ? 0 : f.forwardPolicy().packets(), f.vxlanPortDrops());
    }

    private static String hostname() {
        String n = System.getenv("NODE_NAME");
        if (n != null && !n.isBlank()) return n;
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
