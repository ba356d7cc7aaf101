package io.weft.agent;

import io.weft.agent.subnet.Lease;
import io.weft.core.net.Ipv4Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * One line per node that joins, changes or leaves, in words an operator reads; a round that changes many (an agent
 * starting in a big cluster) logs the first few and a count, not thousands of lines.
 */
final class PeerLog {
    private static final Logger LOG = Logger.getLogger(PeerLog.class.getName());
    static final int DETAIL = 20;
    private Map<Ipv4Cidr, Lease> known = Map.of();

    /** @param departed told of each peer that left, with its last lease */
    void log(Ipv4Cidr local, List<Lease> leases, java.util.function.BiConsumer<Ipv4Cidr, Lease> departed) {
        Map<Ipv4Cidr, Lease> now = new TreeMap<>();
        for (Lease l : leases) if (!l.subnet().equals(local)) now.put(l.subnet(), l);
        List<String> lines = new ArrayList<>();
        int joined = 0;
        int changed = 0;
        int left = 0;
        for (Lease l : now.values()) {
            Lease before = known.get(l.subnet());
            if (before == null) {
                joined++;
                lines.add("peer " + l.subnet() + " at " + l.attrs().publicIp() + " (" + l.attrs().backendType()
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : "") + ")");
            } else if (!before.attrs().equals(l.attrs())) {
                changed++;
                lines.add("peer " + l.subnet() + " changed: now at " + l.attrs().publicIp()
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : ""));
            }
        }
        for (Ipv4Cidr gone : known.keySet()) {
            if (!now.containsKey(gone)) {
                left++;
                lines.add("peer " + gone + " left (lease removed or expired)");
                departed.accept(gone, known.get(gone));
            }
        }
        known = now;
        lines.stream().limit(DETAIL).forEach(LOG::info);
        if (lines.size() > DETAIL) {
            LOG.info("... and " + (lines.size() - DETAIL) + " more: " + joined + " peers joined, " + changed + " changed, "
                    + left + " left; " + now.size() + " peers now");
        }
    }
}
