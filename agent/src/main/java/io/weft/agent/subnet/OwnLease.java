package io.weft.agent.subnet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Logger;

/**
 * This node's lease as its store's manager holds it, and its repair: when the store's record of it is gone,
 * unreadable or not what this node published, the owner writes it again, so that peers never lose the node for
 * long. A write the store refuses is retried every {@link #RETRY}; its problem is logged once per change and
 * reported as the store's problem meanwhile.
 */
public final class OwnLease {
    private static final Logger LOG = Logger.getLogger(OwnLease.class.getName());
    static final Duration RETRY = Duration.ofSeconds(10);

    /** Writes this node's record (its subnets and attributes) again; {@code gone}: the store holds nothing for it. */
    public interface Writer {
        Lease write(Lease lease, boolean gone);
    }

    private final LeaseBook book;
    private final Clock clock;
    private final Writer writer;
    private volatile Lease mine;
    private volatile boolean isNew;
    private volatile String problem;
    private String attempted; // the state last written over
    private Instant retryAt = Instant.MIN;

    public OwnLease(LeaseBook book, Clock clock, Writer writer) {
        this.book = book;
        this.clock = clock;
        this.writer = writer;
    }

    /** The lease this node now holds; {@code isNew}: taken by this start (released if the start fails). */
    public void held(Lease lease, boolean isNew) {
        this.mine = lease;
        this.isNew = isNew;
    }

    public Lease lease() {
        return mine;
    }

    public boolean isNew() {
        return isNew;
    }

    /** Why this node's record could not be written again, or null. */
    public String problem() {
        return problem;
    }

    /** {@code leases} with this node's own (after repairing it in the store if needed) in place of the store's view. */
    public synchronized List<Lease> withOwn(List<Lease> leases) {
        Lease m = mine;
        if (m == null) return leases;
        repair(m);
        List<Lease> out = new ArrayList<>(leases.size() + 1);
        for (Lease l : leases) if (!l.subnet().equals(m.subnet())) out.add(l);
        out.add(mine);
        out.sort(Comparator.comparing(Lease::subnet));
        return out;
    }

    private void repair(Lease m) {
        LeaseBook.Entry e = book.get(m.subnet()).orElse(null);
        String state;
        if (e == null) {
            state = "gone";
        } else if (e.problem() != null) {
            state = "unreadable (" + e.problem() + ")";
        } else if (e.lastGood().attrs().equals(m.attrs()) && java.util.Objects.equals(e.lastGood().ipv6Subnet(), m.ipv6Subnet())) {
            attempted = null;
            problem = null;
            return;
        } else if (!e.lastGood().attrs().publicIp().equals(m.attrs().publicIp())) {
            String p = "this node's subnet " + m.subnet() + " is now held by " + e.lastGood().attrs().publicIp() + " in "
                    + book + "; restart weftd on this node to take another (its pods' addresses change)";
            if (!p.equals(problem)) LOG.severe(p);
            problem = p;
            return;
        } else {
            state = "changed to " + e.lastGood().attrs().toJson();
        }
        Instant now = clock.instant();
        if (state.equals(attempted) && now.isBefore(retryAt)) return;
        attempted = state;
        retryAt = now.plus(RETRY);
        try {
            Lease l = writer.write(m, e == null);
            mine = l.with(l.attrs(), l.expiration().isAfter(m.expiration()) ? l.expiration() : m.expiration());
            LOG.warning("this node's lease " + m.subnet() + " in " + book + " was " + state + "; wrote it again");
            problem = null;
        } catch (SubnetException ex) {
            if (!ex.getMessage().equals(problem)) LOG.warning("this node's lease " + m.subnet() + " is " + state + " in "
                    + book + " and cannot be written again (retrying every " + RETRY.toSeconds() + " s): " + ex.getMessage());
            problem = ex.getMessage();
        }
    }
}
