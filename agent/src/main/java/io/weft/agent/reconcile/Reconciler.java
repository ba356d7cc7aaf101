package io.weft.agent.reconcile;

import io.weft.agent.backend.Backend;
import io.weft.agent.backend.DesiredState;
import io.weft.agent.subnet.Lease;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Makes the kernel match the leases: computes the difference between what the backend wants and what is there,
 * and applies only that difference in one batch. On a healthy node the difference is empty, so restarting the
 * agent changes nothing. Entries are ours when they sit on the backend's devices and inside the cluster
 * Network; everything else on the host is left alone.
 *
 * <p>A full round reads the kernel's tables (and checks the device); any other round compares with what the last
 * round left in place, so a lease that changes among thousands costs its own entries and no table read. The agent
 * asks for a full round at start, periodically, and whenever the kernel watch reports that something of ours was
 * removed; a round whose batch fails makes the next one full.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());

    /** What one round changed; {@code full}: it read the kernel. */
    public record Result(int added, int removed, boolean deviceRestored, boolean full) {
        public boolean changed() {
            return added + removed > 0 || deviceRestored;
        }
    }

    private final Netns ns;
    private final IpReader reader;
    private final Ipv4Cidr network;
    private final Backend backend;
    private Applied applied; // what the last round left in place; null: read the kernel

    /** The entries the last round left in place, keyed as they are compared. */
    private record Applied(Map<Ipv4Cidr, RouteEntry> routes, Map<String, NeighEntry> neighbours, Map<String, FdbEntry> fdb) {}

    public Reconciler(Netns ns, Ipv4Cidr network, Backend backend) {
        this.ns = ns;
        this.reader = new IpReader(ns);
        this.network = network;
        this.backend = backend;
    }

    /** A full round: the kernel's tables are read. */
    public Result reconcile(Ipv4Cidr localSubnet, List<Lease> leases) {
        return reconcile(localSubnet, leases, true);
    }

    /** A round; {@code full} (or no round yet) reads the kernel and checks the device, else compares with the last. */
    public Result reconcile(Ipv4Cidr localSubnet, List<Lease> leases, boolean full) {
        full |= applied == null;
        boolean restored = false;
        if (full) {
            restored = backend.ensureDevice(localSubnet);
            backend.activate(localSubnet);
        }
        List<Lease> remotes = leases.stream().filter(l -> !l.subnet().equals(localSubnet)).toList();
        DesiredState want = backend.desired(localSubnet, remotes);
        Applied have = full ? read(want, localSubnet) : applied;
        Map<Ipv4Cidr, RouteEntry> haveRoutes = new HashMap<>(have.routes);
        Map<String, NeighEntry> haveNeigh = new HashMap<>(have.neighbours);
        Map<String, FdbEntry> haveFdb = new HashMap<>(have.fdb);

        IpBatch adds = new IpBatch();
        IpBatch bridgeAdds = new IpBatch();
        // FDB first, then neighbours, then routes: a route never points at a VTEP the kernel cannot reach yet.
        for (FdbEntry f : want.fdb()) {
            if (!f.equals(haveFdb.remove(key(f.mac(), f.dev())))) bridgeAdds.add(f.replace());
        }
        for (NeighEntry n : want.neighbours()) {
            if (!n.equals(haveNeigh.remove(key(n.ip(), n.dev())))) adds.add(n.replace());
        }
        for (RouteEntry r : want.routes()) {
            if (!r.equals(haveRoutes.remove(r.dst()))) adds.add(r.replace());
        }
        // What is left over belongs to leases that are gone: routes first, so nothing points at a removed neighbour.
        IpBatch removes = new IpBatch();
        haveRoutes.values().forEach(r -> removes.add(r.delete()));
        haveNeigh.values().forEach(n -> removes.add(n.delete()));
        IpBatch bridgeRemoves = new IpBatch();
        haveFdb.values().forEach(f -> bridgeRemoves.add(f.delete()));

        int added = adds.size() + bridgeAdds.size();
        int removed = removes.size() + bridgeRemoves.size();
        if (added + removed > 0) {
            List<String> summary = new ArrayList<>();
            if (added > 0) summary.add("+" + added);
            if (removed > 0) summary.add("-" + removed);
            LOG.info("reconcile: " + String.join(" ", summary) + " entries for " + remotes.size() + " remote leases"
                    + (added + removed <= 6 ? " " + describe(bridgeAdds, adds, removes, bridgeRemoves) : ""));
            applied = null; // until the batch has gone through
            new IpBatch().addAll(bridgeAdds.ops()).addAll(adds.ops()).addAll(removes.ops()).addAll(bridgeRemoves.ops())
                    .apply(ns);
        }
        applied = keyed(want);
        return new Result(added, removed, restored, full);
    }

    /** The next round reads the kernel (its device was replaced, or a round failed). */
    public void forget() {
        applied = null;
    }

    /** Our entries as the kernel holds them now. */
    private Applied read(DesiredState want, Ipv4Cidr localSubnet) {
        Set<String> devices = backend.ownedDevices();
        Map<Ipv4Cidr, RouteEntry> haveRoutes = new HashMap<>();
        for (RouteEntry r : reader.routes()) {
            if (devices.contains(r.dev()) && network.contains(r.dst()) && !r.dst().equals(localSubnet)
                    && r.dst().prefix() > network.prefix()) {
                haveRoutes.put(r.dst(), r);
            }
        }
        Map<String, NeighEntry> haveNeigh = new HashMap<>();
        Map<String, FdbEntry> haveFdb = new HashMap<>();
        for (String dev : neighbourDevices(want, devices)) {
            for (NeighEntry n : reader.permanentNeighbours(dev)) {
                if (network.contains(n.ip())) haveNeigh.put(key(n.ip(), dev), n);
            }
            for (FdbEntry f : reader.vxlanFdb(dev)) haveFdb.put(key(f.mac(), dev), f);
        }
        return new Applied(haveRoutes, haveNeigh, haveFdb);
    }

    private static Applied keyed(DesiredState want) {
        Map<Ipv4Cidr, RouteEntry> routes = new HashMap<>();
        want.routes().forEach(r -> routes.put(r.dst(), r));
        Map<String, NeighEntry> neigh = new HashMap<>();
        want.neighbours().forEach(n -> neigh.put(key(n.ip(), n.dev()), n));
        Map<String, FdbEntry> fdb = new HashMap<>();
        want.fdb().forEach(f -> fdb.put(key(f.mac(), f.dev()), f));
        return new Applied(routes, neigh, fdb);
    }

    private static Set<String> neighbourDevices(DesiredState want, Set<String> owned) {
        Set<String> devs = new java.util.TreeSet<>();
        want.neighbours().forEach(n -> devs.add(n.dev()));
        want.fdb().forEach(f -> devs.add(f.dev()));
        // Devices we own that carry overlay entries: only VXLAN devices (named like flannel.N) do.
        for (String d : owned) if (d.startsWith("flannel.")) devs.add(d);
        return devs;
    }

    private static String describe(IpBatch... batches) {
        List<String> parts = new ArrayList<>();
        for (IpBatch b : batches) b.ops().forEach(op -> parts.add("[" + op.line() + "]"));
        return String.join(" ", parts);
    }

    private static String key(Ipv4Address ip, String dev) {
        return ip + "%" + dev;
    }

    private static String key(MacAddress mac, String dev) {
        return mac + "%" + dev;
    }
}
