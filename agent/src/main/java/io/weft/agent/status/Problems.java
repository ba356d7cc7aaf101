package io.weft.agent.status;

import java.util.ArrayList;
import java.util.List;

/**
 * What is wrong on a node, in sentences an operator acts on, from the parts of its {@link NodeStatus}: the faults
 * that stop pod traffic (a missing route, neighbour or FDB entry; a VTEP that is gone; a firewall that drops the VXLAN
 * port or forwarded pod traffic; an underlay MTU too small for the overlay's), each naming what to do.
 */
public final class Problems {
    private Problems() {}

    public static List<String> of(boolean ready, String notReady, NodeStatus.Lease ownGone, NodeStatus.Backend b,
                                  List<NodeStatus.Peer> peers, NodeStatus.Firewall fw) {
        List<String> out = new ArrayList<>();
        if (!ready) out.add("not ready: " + notReady);
        if (ownGone != null) {
            out.add("this node's own lease " + ownGone.subnet() + " is not in the store (" + ownGone.store() + "): other"
                    + " nodes have dropped their routes to its pods; weftd publishes it again when it renews it, an hour"
                    + " before " + ownGone.expires() + " (restart weftd to publish it now)");
        }
        if (b != null && !b.present()) {
            out.add(b.device() + " is missing or not as configured: no pod traffic leaves or enters this node through it"
                    + " (weftd recreates it at its next resync)");
        }
        for (NodeStatus.Peer p : peers) {
            for (NodeStatus.Entry e : p.entries()) {
                if (e.present()) continue;
                out.add("peer " + p.subnet() + " (" + p.publicIp() + "): " + e.kind() + " " + e.want()
                        + (e.have() == null ? " is missing" : " is wrong (the kernel has " + e.have() + ")")
                        + (e.since() == null ? "" : " since " + e.since()) + ": traffic to that node's pods stops here (weftd puts it back at its next resync)");
            }
        }
        if (fw != null) {
            boolean forwardRulesIn = false;
            for (NodeStatus.Rule r : fw.rules()) {
                if (r.name().contains("FORWARD") || r.name().endsWith(" forward")) {
                    forwardRulesIn = "present".equals(r.state());
                }
                if ("missing".equals(r.state()) || "changed".equals(r.state())) {
                    out.add(r.name() + " is " + r.state() + " (" + r.detail() + "); weftd rewrites it at its next"
                            + " --iptables-resync");
                }
            }
            if ("DROP".equals(fw.forwardPolicy()) && !forwardRulesIn) {
                out.add("the iptables FORWARD policy is DROP and weft's forward rules are not in place: pod traffic this"
                        + " node forwards is dropped (" + fw.forwardDropped() + " packets so far); run weftd with"
                        + " --iptables-forward-rules (the default), or accept the pod network in FORWARD");
            }
            String tunnel = b != null && "wireguard".equals(b.type()) ? "WireGuard" : "VXLAN";
            for (String rule : fw.vxlanPortDrops()) {
                out.add("a firewall rule drops the " + tunnel + " port: " + rule + "; " + tunnel + " datagrams between this"
                        + " node and the others are lost: allow UDP " + (b == null ? 8472 : b.port()) + " between the nodes");
            }
        }
        if (b != null && b.underlayMtu() > 0) {
            boolean wg = "wireguard".equals(b.type());
            int overhead = "vxlan".equals(b.type()) ? 50 : wg ? 80 : 0;
            if (b.mtu() + overhead > b.underlayMtu()) {
                out.add(b.underlay() + "'s MTU " + b.underlayMtu() + " is smaller than " + b.mtu()
                        + (overhead > 0 ? " + " + overhead + " bytes of " + (wg ? "WireGuard" : "VXLAN") : "") + " (the pods' MTU"
                        + (overhead > 0 ? ", " + b.device() + "'s" : "") + "): full-size pod packets do not fit the underlay;"
                        + " give " + b.underlay() + " its MTU back, or set Backend.MTU in net-conf.json to the"
                        + " smallest underlay MTU of the cluster (the overlay then gets that less " + overhead + ")");
            }
        }
        return out;
    }
}
