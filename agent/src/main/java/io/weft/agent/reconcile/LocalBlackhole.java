package io.weft.agent.reconcile;

import io.weft.core.iproute.BlackholeRoute;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Cidr;
import java.util.logging.Logger;

/**
 * flanneld's --ip-blackhole-route (main.go, for Canal, where no bridge route covers the node's subnet): a blackhole
 * route for this node's subnet, so packets to its unused pod addresses are dropped here instead of following the
 * default route out. Checked every resync and put back when gone, as flannel's loop does.
 */
public final class LocalBlackhole {
    private static final Logger LOG = Logger.getLogger(LocalBlackhole.class.getName());
    private final Netns ns;
    private String lastProblem;

    public LocalBlackhole(Netns ns) {
        this.ns = ns;
    }

    /** Adds the route unless a blackhole route for {@code subnet} is there; a refusal is logged once, not fatal. */
    public void ensure(Ipv4Cidr subnet) {
        BlackholeRoute want = new BlackholeRoute(subnet);
        if (new IpReader(ns).blackholeRoutes().contains(want)) return;
        try {
            new IpBatch().add(want.add()).apply(ns);
            LOG.info("blackhole route for " + subnet + " added (--ip-blackhole-route)");
            lastProblem = null;
        } catch (IpException e) {
            // e.g. "File exists": the bridge's own route to the subnet has the same metric, as with flanneld
            String problem = e.getMessage();
            if (!problem.equals(lastProblem)) LOG.warning("blackhole route for " + subnet + " refused: " + problem);
            lastProblem = problem;
        }
    }
}
