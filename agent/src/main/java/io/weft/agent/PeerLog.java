package io.weft.agent;

import io.weft.agent.subnet.Lease;
import io.weft.core.net.IpCidr;
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
    private Map<String, Lease> known = Map.of(); // by lease key, as flannel names leases

    /** @param departed told of each peer that left, with its last lease */
    void log(Lease local, List<Lease> leases, java.util.function.BiConsumer<IpCidr, Lease> departed) {
        Map<String, Lease> now = new TreeMap<>();
        for (Lease l : leases) if (!l.key().equals(local.key())) now.put(l.key(), l);
        List<String> lines = new ArrayList<>();
        int joined = 0;
        int changed = 0;
        int left = 0;
        for (Lease l : now.values()) {
            Lease before = known.get(l.key());
            if (before == null) {
                joined++;
                if (lines.size() < DETAIL) lines.add("peer " + l.describe() + " at " + at(l) + " (" + l.attrs().backendType()
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : "") + ")");
            } else if (!before.attrs().equals(l.attrs())) {
                changed++;
                if (lines.size() < DETAIL) lines.add("peer " + l.describe() + " changed: now at " + at(l)
                        + (l.attrs().vtepMac() != null ? ", VtepMAC " + l.attrs().vtepMac() : ""));
            }
        }
        for (String gone : known.keySet()) {
            if (!now.containsKey(gone)) {
                left++;
                Lease last = known.get(gone);
                if (lines.size() < DETAIL) lines.add("peer " + last.describe() + " left (lease removed or expired)");
                departed.accept(last.primary(), last);
            }
        }
        known = now;
        // only the lines logged are made: a round that brings thousands of peers formats 20, not thousands
        lines.forEach(LOG::info);
        int all = joined + changed + left;
        if (all > DETAIL) {
            LOG.info("... and " + (all - DETAIL) + " more: " + joined + " peers joined, " + changed + " changed, "
                    + left + " left; " + now.size() + " peers now");
        }
    }

    /** The peer's public address of each family it has. */
    private static String at(Lease l) {
        String v4 = io.weft.core.lease.LeaseRecord.NO_IPV4.equals(l.attrs().publicIp()) ? null : l.attrs().publicIp().toString();
        String v6 = l.attrs().publicIpv6() == null ? null : l.attrs().publicIpv6().toString();
        return v4 == null ? v6 : v6 == null ? v4 : v4 + " and " + v6;
    }
}
