package io.weft.agent;

import io.weft.agent.backend.Backend;
import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.SubnetManager;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.logging.Logger;

/**
 * The peers the store showed when the agent started, given to a userspace datapath before this node's lease is
 * confirmed: a restarted node's pods then reach their peers from the moment the datapath is open, not only after the
 * store's answer and the first round (~0.1 s of a restart, during which the node carries nothing). This node's own
 * unexpired lease, found by its public address as {@link PreviousMacs} finds its MACs, stands in for the lease to
 * come; the first round puts right whatever changed meanwhile. A kernel datapath needs none of this: its entries
 * outlive the agent.
 */
final class KnownPeers {
    private static final Logger LOG = Logger.getLogger(KnownPeers.class.getName());

    private KnownPeers() {
    }

    /**
     * The leases in the store before this node takes its own (its previous lease among them, whose VtepMACs a device
     * made again keeps, and the peers to {@link #give}). Reading them starts the store's watch: the lease book holds
     * nothing before that. A store that cannot be read yet gives none; taking the lease then says what is wrong.
     */
    static List<Lease> read(SubnetManager manager) {
        try {
            return manager.leases();
        } catch (IOException | RuntimeException e) {
            LOG.fine("leases not readable before taking this node's: " + e.getMessage());
            return List.of();
        }
    }

    /**
     * Gives {@code backend} the unexpired leases among {@code known} that are not this node's, with this node's own as
     * the local one; false, giving nothing, when this node has no unexpired lease among them (a first start).
     */
    static boolean give(Backend backend, List<Lease> known, Ipv4Address publicIp, Ipv6Address publicIpv6, Instant now) {
        Lease own = null;
        for (Lease l : known) {
            if (ours(l, publicIp, publicIpv6) && l.expiration().isAfter(now)
                    && (own == null || l.expiration().isAfter(own.expiration()))) {
                own = l;
            }
        }
        if (own == null) return false;
        backend.desired(own, known.stream().filter(l -> !ours(l, publicIp, publicIpv6) && l.expiration().isAfter(now)).toList());
        return true;
    }

    private static boolean ours(Lease l, Ipv4Address publicIp, Ipv6Address publicIpv6) {
        return (publicIp != null && publicIp.equals(l.attrs().publicIp()))
                || (publicIpv6 != null && publicIpv6.equals(l.attrs().publicIpv6()));
    }
}
