package io.weft.agent.trace;

import java.util.List;
import java.util.Map;

/**
 * One node's part of a trace of the flow {@code src → dst}, as its agent answers {@code /debug/trace}: the hops a
 * packet of the flow crosses on this node, in the order the forward direction crosses them, each with the kernel entry
 * that decides it (both directions); what looks wrong in the node's tables (findings); and after the capture, how many
 * packets each hop saw, the probe's outcome and the drop counters that rose meanwhile.
 *
 * @param role     "source" (src is on this node), "destination", or "both" (the two pods share the node)
 * @param backend  "vxlan", "userspace" (vxlan on weft's own datapath) or "host-gw"
 * @param drops    drop rules or policies of this node's firewall whose counters rose during the capture
 * @param userspaceDrops the userspace datapath's drop counters that rose during the capture ("reason from peer" → count)
 */
public record NodeTrace(String node, String publicIp, String subnet, String role, String backend, int port, int mtu,
                        List<Hop> hops, List<Finding> findings, Probe probe, List<String> drops,
                        Map<String, Long> userspaceDrops, boolean captured) {

    /**
     * One interface a packet of the flow crosses.
     *
     * @param kind    {@link #POD}, {@link #BRIDGE}, {@link #VTEP} or {@link #UNDERLAY}
     * @param forward the entry that decides the src → dst packet's way here (as iproute2 prints it)
     * @param reverse the entry that decides the dst → src packet's way here
     * @param encap   the flow crosses this interface inside VXLAN datagrams
     * @param count   what the capture saw; null before it ran
     */
    public record Hop(String iface, String kind, String what, String forward, String reverse, boolean encap, Count count) {
        public static final String POD = "pod";
        public static final String BRIDGE = "bridge";
        public static final String VTEP = "vtep";
        public static final String UNDERLAY = "underlay";

        public Hop withCount(Count c) {
            return new Hop(iface, kind, what, forward, reverse, encap, c);
        }
    }

    /**
     * Packets of the flow one hop saw: src → dst ({@code fwd}) and dst → src ({@code rev}), how many of them were
     * full-size ({@code big}: the MTU probe), and when the first of each went by (ISO-8601, microseconds).
     *
     * @param error why this hop could not be captured, else null
     */
    public record Count(long fwd, long fwdBig, String fwdFirst, long rev, long revBig, String revFirst, String error) {}

    /**
     * Something in this node's tables or settings that stops the flow, found before any packet is sent.
     *
     * @param code      what kind of fault (see {@link Diagnosis})
     * @param direction "forward" (src → dst), "reverse", or "both"
     * @param text      one sentence saying what is wrong and what to do
     */
    public record Finding(String code, String direction, String text) {}

    /**
     * The probe this node sent from the source pod: small pings, then full-size pings with DF set.
     *
     * @param note why no probe was sent, or what ping said when it failed; null when all went well
     */
    public record Probe(int sent, int received, int bigSize, int bigSent, int bigReceived, String note) {}

    public NodeTrace withResults(List<Hop> counted, Probe p, List<String> rose, Map<String, Long> usDrops) {
        return new NodeTrace(node, publicIp, subnet, role, backend, port, mtu, counted, findings, p, rose, usDrops, true);
    }
}
