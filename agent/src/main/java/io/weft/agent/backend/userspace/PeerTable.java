package io.weft.agent.backend.userspace;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import io.weft.core.net.IpAddress;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The FDB of the userspace datapath (VtepMAC → PublicIP, or PublicIPv6 for the {@code flannel-v6} VTEP) and the set of
 * addresses allowed to send to us. IPv4 lookups use primitive-keyed maps (no boxing per packet); IPv6 senders are
 * looked up by the socket's own {@link InetAddress} (its hash and equality read its bytes, no allocation); an update builds a new immutable snapshot that
 * the datapath threads pick up through a volatile read. Counters outlive snapshots: they are kept per
 * PublicIP, so a lease renewal does not reset them.
 */
public final class PeerTable {
    /** An immutable view the hot path reads. */
    public static final class Snapshot {
        final LongObjectHashMap<Peer> byMac;
        final IntObjectHashMap<Peer> byIp;
        final Map<InetAddress, Peer> byIp6;
        final List<Peer> peers;

        Snapshot(List<Peer> peers) {
            this.peers = List.copyOf(peers);
            byMac = new LongObjectHashMap<>(Math.max(4, peers.size() * 2));
            byIp = new IntObjectHashMap<>(Math.max(4, peers.size() * 2));
            byIp6 = new HashMap<>();
            for (Peer p : peers) {
                byMac.put(p.mac().value(), p);
                if (p.publicIp() instanceof Ipv4Address a) byIp.put(a.value(), p);
                else byIp6.put(p.endpoint().getAddress(), p);
            }
        }

        public Peer byMac(long mac) {
            return byMac.get(mac);
        }

        public Peer byIp(int ip) {
            return byIp.get(ip);
        }

        /** The peer whose PublicIPv6 sent a datagram. */
        public Peer byIp6(InetAddress ip) {
            return byIp6.get(ip);
        }

        public List<Peer> peers() {
            return peers;
        }
    }

    /** A wanted entry: frames for {@code mac} go to {@code publicIp}. */
    public record Entry(MacAddress mac, IpAddress publicIp) {}

    private final int port;
    private final Map<IpAddress, PeerCounters> counters = new ConcurrentHashMap<>();
    private final PeerCounters unknown = new PeerCounters("unknown");
    private volatile Snapshot current = new Snapshot(List.of());

    public PeerTable(int port) {
        this.port = port;
    }

    public Snapshot snapshot() {
        return current;
    }

    /** Counters for datagrams whose sender is no peer. */
    public PeerCounters unknown() {
        return unknown;
    }

    /** Replaces the table; returns true if it changed. */
    public synchronized boolean set(Collection<Entry> entries) {
        List<Peer> peers = new ArrayList<>();
        for (Entry e : entries) {
            PeerCounters c = counters.computeIfAbsent(e.publicIp(), k -> new PeerCounters(e.publicIp().toString()));
            peers.add(new Peer(e.mac(), e.publicIp(), new InetSocketAddress(e.publicIp().toInetAddress(), port), c));
        }
        Snapshot old = current;
        if (old.peers.size() == peers.size()) {
            boolean same = true;
            for (Peer p : peers) {
                Peer o = old.byMac(p.mac().value());
                if (o == null || !o.publicIp().equals(p.publicIp())) {
                    same = false;
                    break;
                }
            }
            if (same) return false;
        }
        current = new Snapshot(peers);
        return true;
    }

    /** Every counter set, known peers and former peers alike (a scrape shows what a departed peer did). */
    public List<PeerCounters> allCounters() {
        List<PeerCounters> all = new ArrayList<>(counters.values());
        all.sort((a, b) -> a.peer().compareTo(b.peer()));
        all.add(unknown);
        return all;
    }
}
