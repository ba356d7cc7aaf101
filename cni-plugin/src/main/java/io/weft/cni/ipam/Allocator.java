package io.weft.cni.ipam;

import io.weft.cni.spec.CniException;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Picks addresses in one range the way host-local does: start after the last address handed out, wrap around,
 * skip the gateway and the network and broadcast addresses, take the first address whose file can be created.
 */
public final class Allocator {
    /** Range index host-local uses for the first (here: only) range set: last_reserved_ip.0. */
    public static final int RANGE_ID = 0;

    private final HostLocalStore store;
    private final Ipv4Cidr subnet;
    private final Ipv4Address gateway;

    public Allocator(HostLocalStore store, Ipv4Cidr subnet, Ipv4Address gateway) {
        this.store = store;
        this.subnet = subnet;
        this.gateway = gateway;
    }

    public Ipv4Address first() {
        return subnet.prefix() >= 31 ? subnet.network() : subnet.network().plus(1);
    }

    public Ipv4Address last() {
        return subnet.prefix() >= 31 ? subnet.last() : subnet.last().plus(-1);
    }

    /** Reserves the next free address for the attachment; the caller holds the store's lock. */
    public Ipv4Address allocate(String containerId, String ifname) throws IOException {
        List<HostLocalStore.Allocation> taken = store.all(); // read once: the duplicate check and the free search
        for (HostLocalStore.Allocation a : HostLocalStore.byId(taken, containerId, ifname)) {
            if (subnet.contains(a.ip())) {
                throw new CniException(CniException.INTERNAL, a.ip() + " is already allocated to container " + containerId
                        + " interface " + ifname + " in " + store.dir() + ": duplicate allocation is not allowed (DEL it first)");
            }
        }
        long size = last().unsigned() - first().unsigned() + 1;
        Ipv4Address last = store.lastReserved(RANGE_ID);
        long start = last != null && subnet.contains(last) && last.unsigned() >= first().unsigned() && last.unsigned() <= last().unsigned()
                ? (last.unsigned() - first().unsigned() + 1) % size : 0;
        // Plain ints, not the record: a record's equals/hashCode bootstrap an invokedynamic call site on first
        // use, milliseconds of a one-call JVM.
        Set<Integer> used = new HashSet<>();
        for (HostLocalStore.Allocation a : taken) used.add(a.ip().value());
        for (long i = 0; i < size; i++) {
            Ipv4Address candidate = first().plus((start + i) % size);
            if ((gateway != null && candidate.value() == gateway.value()) || used.contains(candidate.value())) continue;
            if (store.reserve(candidate, containerId, ifname, RANGE_ID)) return candidate;
        }
        Ipv4Address shownFirst = gateway != null && first().value() == gateway.value() ? first().plus(1) : first();
        throw new CniException(CniException.INTERNAL, "no IP addresses available in " + subnet + " (range " + shownFirst + "-" + last()
                + ", gateway " + gateway + "): all " + used.size() + " allocations in " + store.dir() + " are in use",
                "free addresses with DEL or GC for containers that are gone");
    }
}
