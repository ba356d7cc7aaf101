package io.weft.agent.backend.wireguard.tunnel;

import io.netty.util.collection.IntObjectHashMap;
import io.weft.core.net.Ipv4Cidr;
import java.util.List;

/**
 * Cryptokey routing for sending (whitepaper §2): the peer whose allowed IPs hold the longest prefix of a
 * destination. Immutable; lookups walk the few prefix lengths present, longest first, in primitive-keyed maps.
 */
final class Router {
    private final int[] prefixes;
    private final IntObjectHashMap<Peer>[] byPrefix;

    @SuppressWarnings("unchecked")
    Router(List<Peer> peers) {
        java.util.TreeSet<Integer> lengths = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
        for (Peer p : peers) for (Ipv4Cidr c : p.allowed) lengths.add(c.prefix());
        prefixes = lengths.stream().mapToInt(Integer::intValue).toArray();
        byPrefix = new IntObjectHashMap[prefixes.length];
        for (int i = 0; i < prefixes.length; i++) byPrefix[i] = new IntObjectHashMap<>();
        for (Peer p : peers) {
            for (Ipv4Cidr c : p.allowed) {
                int i = 0;
                while (prefixes[i] != c.prefix()) i++;
                byPrefix[i].put(c.network().value(), p);
            }
        }
    }

    /** The peer for destination {@code ip}, or null. */
    Peer lookup(int ip) {
        for (int i = 0; i < prefixes.length; i++) {
            Peer p = byPrefix[i].get(ip & Ipv4Cidr.mask(prefixes[i]));
            if (p != null) return p;
        }
        return null;
    }
}
