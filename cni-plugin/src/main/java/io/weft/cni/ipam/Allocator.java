package io.weft.cni.ipam;

import io.weft.cni.spec.CniException;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Picks addresses in one range the way host-local does: start after the range's last address handed out, wrap
 * around, skip the gateway (and for IPv4 the network and broadcast addresses; an IPv6 range runs from the
 * network's first host to its last address, as host-local's), take the first address whose file can be created.
 * {@code rangeId} is the range set's index in host-local's {@code ranges}: its {@code last_reserved_ip.<id>}.
 */
public final class Allocator {
    private final HostLocalStore store;
    private final IpCidr subnet;
    private final IpAddress gateway;
    private final int rangeId;

    public Allocator(HostLocalStore store, IpCidr subnet, IpAddress gateway, int rangeId) {
        this.store = store;
        this.subnet = subnet;
        this.gateway = gateway;
        this.rangeId = rangeId;
    }

    public IpAddress first() {
        return subnet.bits() == 32 && subnet.prefix() >= 31 ? subnet.network() : subnet.network().plus(1);
    }

    public IpAddress last() {
        return subnet.bits() == 32 && subnet.prefix() < 31 ? subnet.last().plus(-1) : subnet.last();
    }

    /** How many addresses the range holds, counted up to 2^63 - 1 (an IPv6 range's far end is never reached). */
    long size() {
        if (first().offsetFrom(last()) > 0) return 0; // an IPv6 /128 holds none
        long d = last().offsetFrom(first());
        return d < 0 || d == Long.MAX_VALUE ? Long.MAX_VALUE : d + 1;
    }

    /** Reserves the next free address for the attachment; the caller holds the store's lock. */
    public IpAddress allocate(String containerId, String ifname) throws IOException {
        List<HostLocalStore.Allocation> taken = store.all(); // read once: the duplicate check and the free search
        for (HostLocalStore.Allocation a : HostLocalStore.byId(taken, containerId, ifname)) {
            if (subnet.contains(a.ip())) {
                throw new CniException(CniException.INTERNAL, a.ip() + " is already allocated to container " + containerId
                        + " interface " + ifname + " in " + store.dir() + ": duplicate allocation is not allowed (DEL it first)");
            }
        }
        IpAddress first = first();
        long size = size();
        IpAddress lastReserved = store.lastReserved(rangeId);
        long off = lastReserved == null ? -1 : lastReserved.offsetFrom(first);
        long start = off >= 0 && off < size ? (off + 1) % size : 0;
        // File names, not the records: a record's equals/hashCode bootstrap an invokedynamic call site on first
        // use, milliseconds of a one-call JVM.
        Set<String> used = new HashSet<>();
        for (HostLocalStore.Allocation a : taken) if (subnet.contains(a.ip())) used.add(a.ip().toString());
        String gw = gateway == null ? null : gateway.toString();
        for (long i = 0; i < size; i++) {
            long at = start + i;
            IpAddress candidate = first.plus(at >= size || at < 0 ? at - size : at);
            String name = candidate.toString();
            if (name.equals(gw) || used.contains(name)) continue;
            if (store.reserve(candidate, containerId, ifname, rangeId)) return candidate;
        }
        IpAddress shownFirst = first.toString().equals(gw) ? first.plus(1) : first;
        throw new CniException(CniException.INTERNAL, "no IP addresses available in " + subnet + " (range " + shownFirst + "-" + last()
                + ", gateway " + gateway + "): all " + used.size() + " allocations in " + store.dir() + " are in use",
                "free addresses with DEL or GC for containers that are gone");
    }
}
