package io.weft.agent.trace;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * A trace as an operator reads it: the path drawn the way people who debug flannel draw it (pod → veth → cni0 →
 * flannel.1 → eth0 ══ VXLAN ══> eth0 → flannel.1 → cni0 → veth → pod), then every hop with the kernel entry that
 * decides it and what the capture saw there, then where the packets stop and why.
 */
public final class TraceText {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    private TraceText() {}

    public static String render(String src, String dst, NodeTrace source, NodeTrace destination, List<String> notes,
                                Diagnosis.Result result) {
        StringBuilder b = new StringBuilder(4096);
        NodeTrace any = source != null ? source : destination;
        b.append("trace ").append(src).append(" → ").append(dst).append(" (").append(any.backend())
                .append(any.backend().equals("host-gw") ? "" : ", VXLAN on UDP " + any.port()).append(")\n\n  ")
                .append(drawing(src, dst, source, destination)).append("\n");
        if (source != null) node(b, source);
        if (destination != null) node(b, destination);
        NodeTrace.Probe p = source == null ? null : source.probe();
        if (p != null && p.sent() > 0) {
            b.append("\nprobe      ").append(p.received()).append('/').append(p.sent()).append(" pings answered, ")
                    .append(p.bigReceived()).append('/').append(p.bigSent()).append(" full-size (").append(p.bigSize())
                    .append(" bytes, DF) answered\n");
        } else if (p != null && p.note() != null) {
            b.append("\nprobe      none: ").append(p.note()).append('\n');
        }
        for (String n : notes) b.append("note       ").append(n).append('\n');
        b.append('\n');
        if (result.healthy()) {
            b.append("verdict    healthy: every hop ").append(destination == null && !"both".equals(any.role())
                    ? "of this node saw the probe, and every reply came back" : "saw the probe's packets both ways").append('\n');
        } else {
            b.append("verdict    STOPPED: ").append(result.stop()).append('\n');
            if (!result.causes().isEmpty()) b.append("likely cause\n");
            for (Diagnosis.Cause c : result.causes()) {
                b.append("  - ").append(c.node() == null ? "" : "[" + c.node() + "] ").append(c.text()).append('\n');
            }
        }
        if (!result.alsoFound().isEmpty()) {
            b.append("also found\n");
            for (Diagnosis.Cause c : result.alsoFound()) b.append("  - [").append(c.node()).append("] ").append(c.text()).append('\n');
        }
        return b.toString();
    }

    /** One line: pod → hop → hop ══ VXLAN ══> hop → ... → pod. */
    static String drawing(String src, String dst, NodeTrace source, NodeTrace destination) {
        List<String> parts = new ArrayList<>();
        parts.add("pod " + src);
        if (source != null) for (NodeTrace.Hop h : source.hops()) parts.add(h.iface());
        else parts.add("(node not asked)");
        StringBuilder b = new StringBuilder(String.join(" → ", parts));
        if (source != null && "both".equals(source.role())) return b.append(" → pod ").append(dst).toString();
        NodeTrace any = source != null ? source : destination;
        String wire = any.backend().equals("host-gw") ? " ══ IP ══> " : " ══ VXLAN UDP " + any.port() + " ══> ";
        b.append(wire);
        if (destination == null) return b.append("(node not asked) → pod ").append(dst).toString();
        List<String> rest = new ArrayList<>();
        for (NodeTrace.Hop h : destination.hops()) rest.add(h.iface());
        rest.add("pod " + dst);
        return b.append(String.join(" → ", rest)).toString();
    }

    private static void node(StringBuilder b, NodeTrace n) {
        b.append("\nnode ").append(n.node()).append(" (").append(n.publicIp()).append(", ").append(n.subnet()).append("), ")
                .append(n.role()).append('\n');
        b.append("   hop          → requests seen                  ← replies seen\n");
        int i = 1;
        for (NodeTrace.Hop h : n.hops()) {
            NodeTrace.Count c = h.count();
            b.append(String.format("%2d %-10s ", i++, h.iface()));
            if (c == null) {
                b.append("(not captured)\n");
            } else if (c.error() != null) {
                b.append("not captured: ").append(c.error()).append('\n');
            } else {
                b.append(String.format("%-31s %s%n", seen(c.fwd(), c.fwdBig(), c.fwdFirst()), seen(c.rev(), c.revBig(), c.revFirst())));
            }
            b.append("   ").append(h.what()).append('\n');
            if (h.forward() != null) b.append("     → ").append(h.forward()).append('\n');
            if (h.reverse() != null) b.append("     ← ").append(h.reverse()).append('\n');
        }
        if (!n.drops().isEmpty()) {
            b.append("   firewall drops that rose during the trace:\n");
            for (String d : n.drops()) b.append("     ").append(d).append('\n');
        }
        n.userspaceDrops().forEach((k, v) -> b.append("   userspace drops: ").append(k).append(" +").append(v).append('\n'));
    }

    private static String seen(long n, long big, String first) {
        if (n == 0) return "none";
        return n + (big > 0 ? " (" + big + " full-size)" : "") + " first " + TIME.format(Instant.parse(first));
    }
}
