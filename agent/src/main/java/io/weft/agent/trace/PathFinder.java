package io.weft.agent.trace;

import io.weft.agent.status.NodeStatus;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighState;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteLookup;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Works out, from this node's own tables, the way a packet of the flow {@code src → dst} takes through it, as the
 * kernel will take it: the pod's veth (the bridge port its MAC was learned on), the bridge, then {@code ip route get
 * DST from SRC iif BRIDGE} for the route, {@code ip neigh} for the VTEP's MAC, {@code bridge fdb get} (or weftd's
 * userspace FDB) for the peer's public IP, and {@code ip route get PEER} for the underlay; arriving, {@code ip route
 * get DST from SRC iif VTEP}. Both directions are worked out, since a reply takes the other node's entries. What
 * differs from the leases (a missing route, neighbour or FDB entry, a wrong MAC, no lease at all) is a finding.
 */
final class PathFinder {
    /** The local part of a trace, and where the source pod's namespace is (for the probe), if it could be found. */
    record Path(NodeTrace trace, Optional<Netns> podNetns, Ipv4Address localPod, Ipv4Address remotePod) {
        /** Whether a pod answers for this node's end of the flow (the local pod); when not, there is nothing to trace. */
        boolean localPodKnown() {
            return trace.findings().stream().noneMatch(f -> f.code().equals("POD_UNKNOWN") && f.text().contains("for " + localPod + " "));
        }
    }

    private final Netns ns;
    private final IpReader ip;
    private final NodeStatus status;
    private final List<NodeTrace.Finding> findings = new ArrayList<>();

    PathFinder(Netns ns, NodeStatus status) {
        this.ns = ns;
        this.ip = new IpReader(ns);
        this.status = status;
    }

    /** The way {@code src → dst} crosses this node; one of them must be in this node's subnet. */
    Path find(Ipv4Address src, Ipv4Address dst) {
        Ipv4Cidr own = Ipv4Cidr.parse(status.lease().subnet());
        boolean srcHere = own.contains(src);
        boolean dstHere = own.contains(dst);
        NodeStatus.Backend b = status.backend();
        String backend = "host-gw".equals(b.type()) ? "host-gw" : "userspace".equals(b.datapath()) ? "userspace" : "vxlan";
        Ipv4Address local = srcHere ? src : dst;
        Ipv4Address remote = srcHere ? dst : src;
        String fwd = srcHere ? "forward" : "reverse"; // the direction local → remote is, of the flow

        String bridge = bridgeOf(local);
        List<NodeTrace.Hop> hops = new ArrayList<>();
        Optional<String> veth = podVeth(local, bridge);
        NodeTrace.Hop pod = new NodeTrace.Hop(veth.orElse(bridge), NodeTrace.Hop.POD, "pod " + local + "'s veth"
                + (veth.isEmpty() ? " (not found: capturing on " + bridge + ")" : ""),
                null, null, false, null);
        NodeTrace.Hop br = new NodeTrace.Hop(bridge, NodeTrace.Hop.BRIDGE, "bridge, the pods' gateway " + own.firstHost(),
                null, null, false, null);
        if (srcHere && dstHere) {
            Optional<String> other = podVeth(dst, bridge);
            RouteLookup r = ip.routeGet(dst, src, bridge);
            hops.add(decide(pod, "from pod " + src, null));
            hops.add(decide(br, "route " + r, null));
            hops.add(new NodeTrace.Hop(other.orElse(bridge), NodeTrace.Hop.POD, "pod " + dst + "'s veth", "bridge port of "
                    + dst, null, false, null));
            return done(src, dst, "both", backend, hops, veth, local, remote);
        }

        NodeStatus.Peer peer = status.peerFor(remote.toString());
        if (peer == null) {
            finding("LEASE_MISSING", "both", "no lease covers " + remote + " in this node's view (" + status.lease().store()
                    + "): its node's lease is missing or expired (its weftd stopped renewing it, or it was deleted), or no"
                    + " node has this address; weft removed that subnet's route. Run weftd status on that node");
        }
        Outgoing out = outgoing(local, remote, bridge, peer, b);
        String in = incoming(remote, local, bridge, b);
        String inUnderlay = "host-gw".equals(backend) || out.vtep == null
                ? "to " + status.lease().publicIp() + " (plain IP, " + b.underlay() + ")"
                : "VXLAN UDP " + b.port() + " to " + b.underlayAddress();
        NodeTrace.Hop vtep = out.vtep == null ? null : new NodeTrace.Hop(out.vtep, NodeTrace.Hop.VTEP,
                "userspace".equals(backend) ? "VTEP (weftd's TAP, VNI " + b.vni() + ")" : "VTEP (kernel VXLAN, VNI " + b.vni() + ")",
                null, null, false, null);
        NodeTrace.Hop ul = new NodeTrace.Hop(out.underlay != null ? out.underlay : b.underlay(), NodeTrace.Hop.UNDERLAY,
                "underlay " + b.underlayAddress() + ", MTU " + mtu(out.underlay != null ? out.underlay : b.underlay()),
                null, null, vtep != null, null);
        boolean forwardIsOut = srcHere;
        List<NodeTrace.Hop> inOrder = new ArrayList<>();
        inOrder.add(decide(pod, forwardIsOut ? "from pod " + local : "neighbour " + out.podNeighbour,
                forwardIsOut ? "neighbour " + out.podNeighbour : "from pod " + local));
        inOrder.add(decide(br, forwardIsOut ? out.route : in, forwardIsOut ? in : out.route));
        if (vtep != null) inOrder.add(decide(vtep, forwardIsOut ? out.encap : "decapsulated, VNI " + b.vni(),
                forwardIsOut ? "decapsulated, VNI " + b.vni() : out.encap));
        inOrder.add(decide(ul, forwardIsOut ? out.underlayRoute : inUnderlay, forwardIsOut ? inUnderlay : out.underlayRoute));
        if (!forwardIsOut) java.util.Collections.reverse(inOrder);
        hops.addAll(inOrder);
        tagDirection(fwd);
        return done(src, dst, srcHere ? "source" : "destination", backend, hops, veth, local, remote);
    }

    /** What decides the way out: local pod → remote pod. */
    private record Outgoing(String route, String vtep, String encap, String underlay, String underlayRoute, String podNeighbour) {}

    private Outgoing outgoing(Ipv4Address local, Ipv4Address remote, String bridge, NodeStatus.Peer peer, NodeStatus.Backend b) {
        String podNeighbour = ip.neighbour(local, bridge).map(NeighState::toString).orElse(local + " unresolved on " + bridge);
        RouteLookup r = ip.routeGet(remote, local, bridge);
        String route = "route " + r;
        if (!r.found()) {
            finding("ROUTE_MISSING", "out", "this node has no route to " + remote + " (" + r.error() + ")"
                    + (peer != null ? wantedEntry(peer, "route") : ""));
            // the packets should have gone to the VTEP (or the underlay, host-gw): capture there to show they did not
            return new Outgoing(route, "host-gw".equals(b.type()) ? null : b.device(), null, b.underlay(), null, podNeighbour);
        }
        if (peer != null && r.dev().equals(bridge)) {
            finding("ROUTE_WRONG", "out", remote + " is routed to " + bridge + " on this node, as if it were a local pod");
        }
        boolean toVtep = r.dev().equals(b.device()) && !"host-gw".equals(b.type());
        if (!toVtep) {
            Ipv4Address gw = r.gateway();
            if (peer != null && (gw == null || !gw.toString().equals(peer.publicIp()) || !r.dev().equals(b.underlay()))) {
                finding("ROUTE_MISSING", "out", "no route for " + peer.subnet() + ": the packet follows " + r
                        + " instead" + wantedEntry(peer, "route"));
            }
            String ulRoute = "plain IP via " + (gw == null ? remote : gw) + " (" + route + ")";
            return new Outgoing(route, null, null, r.dev(), ulRoute, podNeighbour);
        }
        // VXLAN: neighbour → VtepMAC, FDB → the peer's public IP
        Ipv4Address gw = r.gateway();
        if (peer != null && (gw == null || !gw.toString().equals(Ipv4Cidr.parse(peer.subnet()).network().toString()))) {
            finding("ROUTE_WRONG", "out", "the route to " + remote + " is " + r + wantedEntry(peer, "route"));
        }
        Ipv4Address next = gw != null ? gw : remote;
        Optional<NeighState> n = ip.neighbour(next, b.device());
        MacAddress mac = n.filter(NeighState::resolved).map(NeighState::mac).orElse(null);
        String decide = route + "; neighbour " + n.map(NeighState::toString).orElse(next + " MISSING on " + b.device());
        if (mac == null) {
            finding("NEIGH_MISSING", "out", "no neighbour entry for " + next + " on " + b.device() + " (the peer's VTEP address):"
                    + " the kernel ARPs for it instead, and nothing on the overlay answers" + (peer != null ? wantedEntry(peer, "neighbour") : ""));
        } else if (peer != null && peer.vtepMac() != null && !mac.toString().equals(peer.vtepMac())) {
            finding("NEIGH_WRONG", "out", "the neighbour entry for " + next + " on " + b.device() + " says " + mac
                    + " but the peer's lease says VtepMAC " + peer.vtepMac() + wantedEntry(peer, "neighbour"));
        }
        String dstIp = null;
        String fdb;
        if (mac == null) {
            fdb = "FDB: (no MAC to look up)";
        } else if ("userspace".equals(b.datapath())) {
            NodeStatus.Peer owner = status.peers().stream().filter(p -> mac.toString().equals(p.vtepMac())).findFirst().orElse(null);
            boolean inTable = owner != null && owner.entries().stream().anyMatch(e -> "fdb".equals(e.kind()) && e.present());
            dstIp = inTable ? owner.publicIp() : null;
            fdb = "weftd's FDB: " + mac + (inTable ? " → " + dstIp : " MISSING");
            if (!inTable) finding("FDB_MISSING", "out", "weftd's userspace FDB has no entry for " + mac + ": the datapath drops"
                    + " the frames (drop reason no_fdb)");
        } else {
            Optional<FdbEntry> f = ip.fdbGet(mac, b.device());
            dstIp = f.map(e -> e.dst().toString()).orElse(null);
            fdb = "FDB " + f.map(FdbEntry::toString).orElse(mac + " dev " + b.device() + " MISSING");
            if (f.isEmpty()) {
                finding("FDB_MISSING", "out", "no FDB entry for " + mac + " on " + b.device() + ": the VXLAN device does not know"
                        + " which node to send to, and drops the frames" + (peer != null ? wantedEntry(peer, "fdb") : ""));
            } else if (peer != null && !dstIp.equals(peer.publicIp())) {
                finding("FDB_WRONG", "out", "the FDB entry for " + mac + " sends to " + dstIp + " but the peer's lease says "
                        + peer.publicIp() + wantedEntry(peer, "fdb"));
            }
        }
        String encap = decide + "; " + fdb;
        String underlay = b.underlay();
        String ulRoute = "VXLAN VNI " + b.vni() + " " + b.underlayAddress() + " → " + (dstIp == null ? "?" : dstIp) + ":" + b.port();
        if (dstIp != null) {
            RouteLookup u = ip.routeGet(Ipv4Address.parse(dstIp), null, null);
            if (u.found()) {
                underlay = u.dev();
                ulRoute += " (route " + u + ")";
            }
        }
        checkMtu(underlay, b);
        return new Outgoing(decide, b.device(), encap, underlay, ulRoute, podNeighbour);
    }

    /** What decides the way in: the remote pod's packet, arrived on the VTEP (or the underlay), to the local pod. */
    private String incoming(Ipv4Address remote, Ipv4Address local, String bridge, NodeStatus.Backend b) {
        String inDev = "host-gw".equals(b.type()) ? b.underlay() : b.device();
        RouteLookup r = ip.routeGet(local, remote, inDev);
        if (!r.found() || !r.dev().equals(bridge)) {
            finding("ROUTE_IN", "in", "a packet from " + remote + " arriving on " + inDev + " is not delivered to " + bridge
                    + ": the kernel says " + r);
        }
        return "route " + r + " (from " + inDev + ")";
    }

    private void checkMtu(String underlay, NodeStatus.Backend b) {
        int ul = mtu(underlay);
        int overhead = "host-gw".equals(b.type()) ? 0 : 50;
        if (ul > 0 && b.mtu() + overhead > ul) {
            finding("MTU", "both", underlay + "'s MTU is " + ul + ", less than the pods' " + b.mtu()
                    + (overhead > 0 ? " + " + overhead + " bytes of VXLAN" : "") + ": full-size pod packets do not fit the"
                    + " underlay; give " + underlay + " its MTU back, or set Backend.MTU in net-conf.json to the smallest"
                    + " underlay MTU of the cluster");
        }
    }

    /** The bridge the local subnet is on: where the kernel sends the subnet's own addresses. */
    private String bridgeOf(Ipv4Address local) {
        RouteLookup r = ip.routeGet(local, null, null);
        return r.found() && r.dev() != null ? r.dev() : "cni0";
    }

    /**
     * The bridge port of the pod with {@code podIp}: its MAC from the bridge's neighbour table (asked for with one ping
     * from the node when the kernel has not resolved it yet), then the port that MAC was learned on.
     */
    private Optional<String> podVeth(Ipv4Address podIp, String bridge) {
        Optional<NeighState> n = ip.neighbour(podIp, bridge).filter(NeighState::resolved);
        if (n.isEmpty()) {
            IpRunner.run(ns.exec(List.of("ping", "-c", "1", "-W", "1", podIp.toString())), null);
            n = ip.neighbour(podIp, bridge).filter(NeighState::resolved);
        }
        if (n.isEmpty()) {
            finding("POD_UNKNOWN", "both", "no pod answers for " + podIp + " on " + bridge + " (it does not answer ARP): there is"
                    + " no pod with this address on this node, or it is not up");
            return Optional.empty();
        }
        return ip.bridgePort(n.get().mac(), bridge);
    }

    private int mtu(String dev) {
        return dev == null ? 0 : ip.link(dev).map(LinkInfo::mtu).orElse(0);
    }

    private String wantedEntry(NodeStatus.Peer peer, String kind) {
        for (NodeStatus.Entry e : peer.entries()) {
            if (e.kind().equals(kind)) {
                return " (weft wants: " + e.want() + (e.present() ? "" : "; missing since " + e.since()) + ")";
            }
        }
        return "";
    }

    private void finding(String code, String way, String text) {
        findings.add(new NodeTrace.Finding(code, way, text));
    }

    /** Turns "out"/"in" into the flow's direction: local → remote is {@code outIs}. */
    private void tagDirection(String outIs) {
        String inIs = outIs.equals("forward") ? "reverse" : "forward";
        findings.replaceAll(f -> new NodeTrace.Finding(f.code(), switch (f.direction()) {
            case "out" -> outIs;
            case "in" -> inIs;
            default -> f.direction();
        }, f.text()));
    }

    private static NodeTrace.Hop decide(NodeTrace.Hop h, String forward, String reverse) {
        return new NodeTrace.Hop(h.iface(), h.kind(), h.what(), forward, reverse, h.encap(), null);
    }

    /** What the node's firewall does to pod traffic, as its status reads it: the same faults, before any packet. */
    private void firewallFindings() {
        NodeStatus.Firewall fw = status.firewall();
        if (fw == null) return;
        boolean forwardRules = fw.rules().stream()
                .anyMatch(r -> (r.name().contains("FORWARD") || r.name().endsWith(" forward")) && "present".equals(r.state()));
        if ("DROP".equals(fw.forwardPolicy()) && !forwardRules) {
            finding("FORWARD_POLICY", "both", "the iptables FORWARD policy is DROP and weft's forward rules are not in place,"
                    + " so this node drops the pod traffic it forwards; run weftd with --iptables-forward-rules (the default),"
                    + " or accept the pod network in FORWARD");
        }
        for (String rule : fw.vxlanPortDrops()) {
            finding("FIREWALL_PORT", "both", "a firewall rule drops the VXLAN port: " + rule + "; allow UDP "
                    + status.backend().port() + " between the nodes");
        }
    }

    private Path done(Ipv4Address src, Ipv4Address dst, String role, String backend, List<NodeTrace.Hop> hops,
                      Optional<String> srcVeth, Ipv4Address local, Ipv4Address remote) {
        firewallFindings();
        NodeStatus.Backend b = status.backend();
        NodeTrace t = new NodeTrace(status.hostname(), status.lease().publicIp(), status.lease().subnet(), role, backend,
                b.port(), b.mtu(), List.copyOf(hops), List.copyOf(findings), null, List.of(), java.util.Map.of(), false);
        Optional<Netns> podNs = role.equals("destination") ? Optional.empty()
                : srcVeth.flatMap(ip::peerNetns).map(Netns::named);
        return new Path(t, podNs, local, remote);
    }
}
