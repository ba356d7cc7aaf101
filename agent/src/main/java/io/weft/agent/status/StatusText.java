package io.weft.agent.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code weftd status} for a terminal: one block per part, problems last, so the eye ends on what is wrong. */
public final class StatusText {
    private StatusText() {}

    public static String render(NodeStatus s) {
        StringBuilder b = new StringBuilder(2048);
        b.append("node ").append(s.hostname()).append(": ").append(s.ready() ? "ready" : "NOT READY (" + s.notReady() + ")").append('\n');
        Instant now = Instant.parse(s.time());
        if (s.lease() != null) {
            NodeStatus.Lease l = s.lease();
            row(b, "lease", l.subnet() + " in " + s.network() + ", public IP " + l.publicIp() + ", expires " + l.expires()
                    + " (" + in(now, l.expires()) + "), kept in " + l.store());
        } else {
            row(b, "lease", "none yet");
        }
        NodeStatus.Backend be = s.backend();
        if (be != null) {
            row(b, "backend", be.type() + ", " + be.datapath() + " datapath: " + be.device() + (be.present() ? "" : " MISSING")
                    + (be.vtepMac() != null ? ", VtepMAC " + be.vtepMac() : "") + ", MTU " + be.mtu());
            row(b, "", be.features());
            row(b, "underlay", be.underlay() + " " + be.underlayAddress() + ", MTU " + be.underlayMtu());
        }
        row(b, "peers", s.peers().isEmpty() ? "none" : Integer.toString(s.peers().size()));
        for (NodeStatus.Peer p : s.peers()) {
            b.append("  ").append(pad(p.subnet(), 18)).append(' ').append(pad(p.publicIp(), 15))
                    .append(p.vtepMac() != null ? " VtepMAC " + p.vtepMac() : "")
                    .append(p.publicKey() != null ? " key " + p.publicKey() : "").append(' ').append(p.backendType())
                    .append(", lease until ").append(p.leaseExpires()).append('\n');
            for (NodeStatus.Entry e : p.entries()) {
                b.append("      ").append(pad(e.kind(), 10)).append(' ').append(pad(e.want(), 56)).append(' ')
                        .append(e.present() ? "in place" : (e.have() == null ? "MISSING" : "WRONG: " + e.have()))
                        .append(e.since() == null ? "" : " since " + e.since()).append('\n');
            }
            if (p.entries().isEmpty()) b.append("      no entries wanted for this peer (see the agent's log)\n");
            NodeStatus.Counters c = p.counters();
            if (c != null) {
                b.append("      counters   rx ").append(c.rxPackets()).append(" packets ").append(c.rxBytes())
                        .append(" bytes, tx ").append(c.txPackets()).append(" packets ").append(c.txBytes())
                        .append(" bytes, drops ").append(drops(c.drops())).append('\n');
            }
        }
        for (NodeStatus.Departed d : s.departed()) {
            row(b, "departed", d.subnet() + " (" + d.publicIp() + ") left at " + d.time() + ": lease removed or expired");
        }
        NodeStatus.Firewall fw = s.firewall();
        if (fw != null) {
            String label = "firewall";
            for (NodeStatus.Rule r : fw.rules()) {
                row(b, label, r.name() + ": " + r.state() + " (" + r.detail() + ")");
                label = "";
            }
            if (fw.forwardPolicy() != null) {
                row(b, label, "iptables FORWARD policy " + fw.forwardPolicy()
                        + ("DROP".equals(fw.forwardPolicy()) ? " (" + fw.forwardDropped() + " packets dropped)" : ""));
            }
            for (String d : fw.vxlanPortDrops()) row(b, "", "drops VXLAN: " + d);
        }
        if (s.problems().isEmpty()) {
            row(b, "problems", "none");
        } else {
            b.append("problems\n");
            for (String p : s.problems()) b.append("  - ").append(p).append('\n');
        }
        List<NodeStatus.LogLine> errors = s.errors();
        if (!errors.isEmpty()) {
            row(b, "errors", "the last " + errors.size() + " warnings and errors logged");
            for (NodeStatus.LogLine l : errors) {
                b.append("  ").append(l.time()).append(' ').append(l.level()).append(' ').append(l.message()).append('\n');
            }
        }
        return b.toString();
    }

    private static String drops(Map<String, Long> drops) {
        StringBuilder b = new StringBuilder();
        drops.forEach((k, v) -> {
            if (v > 0) b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(v);
        });
        return b.isEmpty() ? "none" : b.toString();
    }

    private static String in(Instant now, String when) {
        Duration d = Duration.between(now, Instant.parse(when));
        if (d.isNegative()) return "EXPIRED";
        return "in " + d.toHours() + "h" + String.format("%02dm", d.toMinutesPart());
    }

    private static void row(StringBuilder b, String label, String text) {
        b.append(pad(label, 10)).append(' ').append(text).append('\n');
    }

    static String pad(String s, int width) {
        String v = s == null ? "-" : s;
        return v.length() >= width ? v : v + " ".repeat(width - v.length());
    }
}
