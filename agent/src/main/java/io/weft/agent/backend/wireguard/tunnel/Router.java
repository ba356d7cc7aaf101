package io.weft.agent.backend.wireguard.tunnel;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Cryptokey routing for sending (whitepaper §2): the peer whose allowed IPs hold the longest prefix of a
 * destination, IPv4 or IPv6. Immutable; lookups walk the few prefix lengths present, longest first, in
 * primitive-keyed maps (an IPv6 prefix by its masked high 64 bits, and past /64 then by its masked low bits), so a
 * lookup allocates nothing.
 */
final class Router {
    private final int[] prefixes4;
    private final IntObjectHashMap<Peer>[] byPrefix4;
    private final int[] prefixes6;
    private final LongObjectHashMap<Object>[] byPrefix6; // Peer for /64 and shorter, else LongObjectHashMap<Peer> by low bits

    @SuppressWarnings("unchecked")
    Router(List<Peer> peers) {
        TreeSet<Integer> v4 = new TreeSet<>(Comparator.reverseOrder());
        TreeSet<Integer> v6 = new TreeSet<>(Comparator.reverseOrder());
        for (Peer p : peers) for (IpCidr c : p.allowed) (c instanceof Ipv4Cidr ? v4 : v6).add(c.prefix());
        prefixes4 = v4.stream().mapToInt(Integer::intValue).toArray();
        prefixes6 = v6.stream().mapToInt(Integer::intValue).toArray();
        byPrefix4 = new IntObjectHashMap[prefixes4.length];
        byPrefix6 = new LongObjectHashMap[prefixes6.length];
        for (int i = 0; i < prefixes4.length; i++) byPrefix4[i] = new IntObjectHashMap<>();
        for (int i = 0; i < prefixes6.length; i++) byPrefix6[i] = new LongObjectHashMap<>();
        for (Peer p : peers) {
            for (IpCidr c : p.allowed) {
                if (c instanceof Ipv4Cidr c4) byPrefix4[index(prefixes4, c.prefix())].put(c4.network().value(), p);
                else put6(byPrefix6[index(prefixes6, c.prefix())], (Ipv6Cidr) c, p);
            }
        }
    }

    private static int index(int[] prefixes, int prefix) {
        int i = 0;
        while (prefixes[i] != prefix) i++;
        return i;
    }

    @SuppressWarnings("unchecked")
    private static void put6(LongObjectHashMap<Object> m, Ipv6Cidr c, Peer p) {
        long hi = c.network().high() & high(c.prefix());
        if (c.prefix() <= 64) {
            m.put(hi, p);
            return;
        }
        Object inner = m.get(hi);
        if (!(inner instanceof LongObjectHashMap)) m.put(hi, inner = new LongObjectHashMap<Peer>());
        ((LongObjectHashMap<Peer>) inner).put(c.network().low() & low(c.prefix()), p);
    }

    /** The mask of an IPv6 prefix over the address's high 64 bits. */
    static long high(int prefix) {
        return prefix <= 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    }

    /** The mask of an IPv6 prefix over the address's low 64 bits. */
    static long low(int prefix) {
        return prefix <= 64 ? 0 : prefix >= 128 ? -1L : -1L << (128 - prefix);
    }

    /** The peer for IPv4 destination {@code ip}, or null. */
    Peer lookup(int ip) {
        for (int i = 0; i < prefixes4.length; i++) {
            Peer p = byPrefix4[i].get(ip & Ipv4Cidr.mask(prefixes4[i]));
            if (p != null) return p;
        }
        return null;
    }

    /** The peer for IPv6 destination {@code hi:lo}, or null. */
    @SuppressWarnings("unchecked")
    Peer lookup6(long hi, long lo) {
        for (int i = 0; i < prefixes6.length; i++) {
            int prefix = prefixes6[i];
            Object o = byPrefix6[i].get(hi & high(prefix));
            if (prefix <= 64) {
                if (o != null) return (Peer) o;
            } else if (o instanceof LongObjectHashMap<?> m) {
                Peer p = ((LongObjectHashMap<Peer>) m).get(lo & low(prefix));
                if (p != null) return p;
            }
        }
        return null;
    }
}
