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
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Makes the kernel match the leases: reads what is there, computes the difference to what the backend wants,
 * applies only that difference in one batch. On a healthy node the difference is empty, so restarting the
 * agent changes nothing. Entries are ours when they sit on the backend's devices and inside the cluster
 * Network; everything else on the host is left alone.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());

    /** What one round changed. */
    public record Result(int added, int removed, boolean deviceRestored, boolean full) {
        public boolean changed() {
            return added + removed > 0 || deviceRestored;
        }
    }

    private final Netns ns;
    private final IpReader reader;
    private final List<IpCidr> networks; // the cluster networks, one per family the node carries
    private final Backend backend;
    private final java.time.Clock clock;
    private DesiredState lastWanted = new DesiredState(Set.of(), Set.of(), Set.of()); // guarded by this
    private final Map<Object, EntryState> seen = new HashMap<>(); // wanted entry -> last state seen, guarded by this
    private Applied applied; // what the last round left in place; null: read the kernel; guarded by this

    /** The entries the last round left in place, keyed as they are compared. */
    private record Applied(Map<IpCidr, RouteEntry> routes, Map<String, NeighEntry> neighbours, Map<String, FdbEntry> fdb) {}

    public Reconciler(Netns ns, Ipv4Cidr network, Backend backend) {
        this(ns, List.of(network), backend);
    }

    /** {@code networks}: the cluster's IPv4 and/or IPv6 Network; entries of a family not listed are left alone. */
    public Reconciler(Netns ns, List<IpCidr> networks, Backend backend) {
        this.ns = ns;
        this.reader = new IpReader(ns);
        this.networks = List.copyOf(networks);
        this.backend = backend;
        this.clock = java.time.Clock.systemUTC();
    }

    /** A full round: the kernel's tables are read. */
    public Result reconcile(Ipv4Cidr localSubnet, List<Lease> leases) {
        return reconcile(new Lease(localSubnet, null, null), leases, true);
    }

    /**
     * A round; {@code full} (or no round yet) checks the device and reads the kernel's tables, else compares with
     * what the last round left in place, so a lease that changes among thousands costs its own entries only.
     */
    public synchronized Result reconcile(Lease local, List<Lease> leases, boolean full) {
        full |= applied == null;
        boolean restored = false;
        if (full) {
            restored = backend.ensureDevice(local);
            backend.activate(local);
        }
        Set<IpCidr> localSubnets = subnets(local);
        List<Lease> remotes = leases.stream().filter(l -> !isLocal(l, localSubnets)).toList();
        DesiredState want = backend.desired(local, remotes);
        Map<IpCidr, RouteEntry> haveRoutes = new HashMap<>();
        Map<String, NeighEntry> haveNeigh = new HashMap<>();
        Map<String, FdbEntry> haveFdb = new HashMap<>();
        if (full) {
            readKernel(localSubnets, want, backend.ownedDevices(), haveRoutes, haveNeigh, haveFdb);
        } else {
            haveRoutes.putAll(applied.routes());
            haveNeigh.putAll(applied.neighbours());
            haveFdb.putAll(applied.fdb());
        }
        lastWanted = want;
        Instant now = clock.instant();

        IpBatch adds = new IpBatch();
        IpBatch bridgeAdds = new IpBatch();
        // FDB first, then neighbours, then routes: a route never points at a VTEP the kernel cannot reach yet.
        for (FdbEntry f : want.fdb()) {
            FdbEntry h = haveFdb.remove(key(f.mac(), f.dev()));
            if (!f.equals(h)) bridgeAdds.add(f.replace());
            observe(f, f.equals(h), h, now, true);
        }
        for (NeighEntry n : want.neighbours()) {
            NeighEntry h = haveNeigh.remove(key(n.ip(), n.dev()));
            if (!n.equals(h)) adds.add(n.replace());
            observe(n, n.equals(h), h, now, true);
        }
        for (RouteEntry r : want.routes()) {
            RouteEntry h = haveRoutes.remove(r.dst());
            if (!r.equals(h)) adds.add(r.replace());
            observe(r, r.equals(h), h, now, true);
        }
        seen.keySet().retainAll(wantedEntries(want));
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
    public synchronized void forget() {
        applied = null;
    }

    private static Applied keyed(DesiredState want) {
        Map<IpCidr, RouteEntry> routes = new HashMap<>();
        want.routes().forEach(r -> routes.put(r.dst(), r));
        Map<String, NeighEntry> neigh = new HashMap<>();
        want.neighbours().forEach(n -> neigh.put(key(n.ip(), n.dev()), n));
        Map<String, FdbEntry> fdb = new HashMap<>();
        want.fdb().forEach(f -> fdb.put(key(f.mac(), f.dev()), f));
        return new Applied(routes, neigh, fdb);
    }

    /**
     * Every entry the last round wanted, as the kernel has it now, read without changing anything (for
     * {@code weftd status}); {@code since} is when the agent first saw it in its present state.
     */
    public synchronized List<EntryState> inspect(Lease local) {
        DesiredState want = lastWanted;
        Map<IpCidr, RouteEntry> haveRoutes = new HashMap<>();
        Map<String, NeighEntry> haveNeigh = new HashMap<>();
        Map<String, FdbEntry> haveFdb = new HashMap<>();
        readKernel(subnets(local), want, backend.ownedDevices(), haveRoutes, haveNeigh, haveFdb);
        Instant now = clock.instant();
        List<EntryState> out = new ArrayList<>();
        for (RouteEntry r : want.routes()) {
            RouteEntry h = haveRoutes.get(r.dst());
            out.add(observe(r, r.equals(h), h, now, false));
        }
        for (NeighEntry n : want.neighbours()) {
            NeighEntry h = haveNeigh.get(key(n.ip(), n.dev()));
            out.add(observe(n, n.equals(h), h, now, false));
        }
        for (FdbEntry f : want.fdb()) {
            FdbEntry h = haveFdb.get(key(f.mac(), f.dev()));
            out.add(observe(f, f.equals(h), h, now, false));
        }
        return out;
    }

    /**
     * Records what the kernel has for {@code wanted}; a state that differs from the last one seen starts a new
     * "since". {@code repairing}: this round puts a missing entry back, so it is present from now on.
     */
    private EntryState observe(Object wanted, boolean present, Object have, Instant now, boolean repairing) {
        boolean inPlace = present || repairing;
        Object has = inPlace ? wanted : have;
        EntryState before = seen.get(wanted);
        EntryState s = before != null && before.present() == inPlace && java.util.Objects.equals(before.have(), has)
                ? before : new EntryState(wanted, inPlace, has, now);
        seen.put(wanted, s);
        return s;
    }

    private static Set<Object> wantedEntries(DesiredState want) {
        Set<Object> all = new java.util.HashSet<>(want.routes());
        all.addAll(want.neighbours());
        all.addAll(want.fdb());
        return all;
    }

    /** The routes, permanent neighbours and FDB entries on our devices inside the network, keyed as they are compared. */
    private void readKernel(Set<IpCidr> localSubnets, DesiredState want, Set<String> devices, Map<IpCidr, RouteEntry> routes,
                            Map<String, NeighEntry> neigh, Map<String, FdbEntry> fdb) {
        for (IpCidr network : networks) {
            for (RouteEntry r : network.bits() == 32 ? reader.routes() : reader.routes6()) {
                if (devices.contains(r.dev()) && network.contains(r.dst().network()) && !localSubnets.contains(r.dst())
                        && r.dst().prefix() > network.prefix()) {
                    routes.put(r.dst(), r);
                }
            }
        }
        for (String dev : neighbourDevices(want, devices)) {
            for (NeighEntry n : reader.permanentNeighbours(dev)) {
                if (inNetworks(n.ip())) neigh.put(key(n.ip(), dev), n);
            }
            for (FdbEntry f : reader.vxlanFdb(dev)) fdb.put(key(f.mac(), dev), f);
        }
    }

    /** The lease's subnets of the families it has. */
    private static Set<IpCidr> subnets(Lease l) {
        Set<IpCidr> s = new java.util.HashSet<>(2);
        if (l.subnet() != null) s.add(l.subnet());
        if (l.ipv6Subnet() != null) s.add(l.ipv6Subnet());
        return s;
    }

    /** A lease holding one of this node's subnets is this node's own (its previous lease included). */
    private static boolean isLocal(Lease l, Set<IpCidr> localSubnets) {
        return (l.subnet() != null && localSubnets.contains(l.subnet()))
                || (l.ipv6Subnet() != null && localSubnets.contains(l.ipv6Subnet()));
    }

    private boolean inNetworks(IpAddress a) {
        for (IpCidr n : networks) if (n.contains(a)) return true;
        return false;
    }

    private static Set<String> neighbourDevices(DesiredState want, Set<String> owned) {
        Set<String> devs = new java.util.TreeSet<>();
        want.neighbours().forEach(n -> devs.add(n.dev()));
        want.fdb().forEach(f -> devs.add(f.dev()));
        // Devices we own that carry overlay entries: only VXLAN devices (named like flannel.N) do.
        for (String d : owned) if (d.startsWith("flannel.") || d.startsWith("flannel-v6.")) devs.add(d);
        return devs;
    }

    private static String describe(IpBatch... batches) {
        List<String> parts = new ArrayList<>();
        for (IpBatch b : batches) b.ops().forEach(op -> parts.add("[" + op.line() + "]"));
        return String.join(" ", parts);
    }

    private static String key(IpAddress ip, String dev) {
        return ip + "%" + dev;
    }

    private static String key(MacAddress mac, String dev) {
        return mac + "%" + dev;
    }
}
