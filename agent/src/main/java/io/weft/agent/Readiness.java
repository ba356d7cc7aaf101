package io.weft.agent;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Whether the node carries pod traffic as it should, and if not, why: one reason per area (the kernel's entries,
 * the device, subnet.env, this node's lease), each set while its problem lasts and cleared when it is mended.
 * /readyz, weft_ready and the status page read it; a change is logged once.
 */
public final class Readiness {
    private static final Logger LOG = Logger.getLogger(Readiness.class.getName());

    /** The areas a reason is kept for. */
    public enum Area { STARTING, KERNEL, SUBNET_ENV, LEASE }

    private final Map<Area, String> reasons = new TreeMap<>();

    public Readiness() {
        reasons.put(Area.STARTING, "starting: the first round has not completed");
    }

    /** Sets (or with null, clears) the reason for {@code area}. */
    public synchronized void set(Area area, String reason) {
        String before = reason == null ? reasons.remove(area) : reasons.put(area, reason);
        if (java.util.Objects.equals(before, reason)) return;
        boolean ready = reasons.isEmpty();
        if (reason != null && area != Area.STARTING) LOG.warning("not ready: " + reason);
        else if (ready && before != null && area != Area.STARTING) LOG.info("ready again (" + before + " is mended)");
    }

    public synchronized boolean ready() {
        return reasons.isEmpty();
    }

    /** Why the node is not ready; empty when it is. */
    public synchronized List<String> reasons() {
        return List.copyOf(reasons.values());
    }
}
