package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.util.collection.IntObjectHashMap;
import io.weft.agent.backend.wireguard.noise.LocalIdentity;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.agent.backend.wireguard.noise.SessionKeys;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * weft's WireGuard device, the state that ties the pieces together: the peers (set from the leases), cryptokey
 * routing, the sessions by index, and the protocol's timers. The {@link Transmitter} seals what the TUN gives,
 * the {@link Receiver} opens what the socket gives, the {@link HandshakeWorker} does the handshakes on its own
 * thread. Everything here runs on the event loop ({@code loop}) unless it says otherwise.
 *
 * <p>Besides what WireGuard requires, weft initiates a handshake as soon as a peer appears (and after its own
 * restart), and when a transport message arrives for a session it does not know from a peer's address: a peer that
 * kept its old session after we restarted would otherwise send into the void until its 15-second timer fires.
 */
public final class Tunnel implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Tunnel.class.getName());

    final LocalIdentity self;
    final int mtu;
    final TunnelIo io;
    final Executor loop;
    final IndexRegistry indices = new IndexRegistry();
    final IntObjectHashMap<Keypair> keypairs = new IntObjectHashMap<>();
    final WgCounters unknown = new WgCounters("unknown");
    final TunnelCrypto crypto = new TunnelCrypto();
    final Transmitter tx;
    final Receiver rx;
    final HandshakeWorker worker;
    private List<Peer> peers = List.of();
    private volatile List<Peer> peerView = List.of();
    private volatile Map<String, Peer> byKey = Map.of();
    private final IntObjectHashMap<Peer> byEndpointIp = new IntObjectHashMap<>();
    private final Map<java.net.InetAddress, Peer> byEndpointIp6 = new HashMap<>();
    Router router = new Router(List.of());
    /** The capture in progress, if any: decrypted packets both ways. */
    volatile PacketSink sink;

    /**
     * @param mtu  the TUN's MTU: plaintext is padded up to it, never past it
     * @param loop the event loop that owns the socket and the TUN
     */
    public Tunnel(LocalIdentity self, int mtu, TunnelIo io, Executor loop) {
        this.self = self;
        this.mtu = mtu;
        this.io = io;
        this.loop = loop;
        this.tx = new Transmitter(this);
        this.rx = new Receiver(this);
        this.worker = new HandshakeWorker(this);
    }

    public Transmitter transmitter() {
        return tx;
    }

    public Receiver receiver() {
        return rx;
    }

    /** Starts (or, with null, stops) handing a copy of every inner packet to {@code s}. */
    public void sink(PacketSink s) {
        sink = s;
    }

    public PacketSink sink() {
        return sink;
    }

    /** Counters of senders that are no peer. */
    public WgCounters unknownCounters() {
        return unknown;
    }

    /** The current peers (any thread). */
    public List<Peer> peers() {
        return peerView;
    }

    Peer peerByKey(byte[] publicKey) {
        return byKey.get(java.util.Base64.getEncoder().encodeToString(publicKey));
    }

    /**
     * Replaces the peer set (any thread; applied on the loop). A peer whose key and pre-shared key stay keeps its
     * sessions and takes the new endpoint, subnets and keepalive; a new key is a new peer (handshake at once);
     * a peer that is gone loses its sessions.
     */
    public void setPeers(List<Peer> wanted) {
        loop.execute(() -> applyPeers(wanted));
    }

    private void applyPeers(List<Peer> wanted) {
        long now = System.nanoTime();
        Map<String, Peer> old = new HashMap<>();
        for (Peer p : peers) old.put(p.publicKeyBase64(), p);
        List<Peer> next = new ArrayList<>();
        List<Peer> added = new ArrayList<>();
        for (Peer w : wanted) {
            Peer o = old.remove(w.publicKeyBase64());
            if (o != null && Arrays.equals(o.presharedKey, w.presharedKey)) {
                o.endpoint = w.endpoint;
                o.allowed = w.allowed;
                o.keepaliveSeconds = w.keepaliveSeconds;
                next.add(o);
            } else {
                if (o != null) removePeer(o);
                next.add(w);
                added.add(w);
            }
        }
        old.values().forEach(this::removePeer);
        peers = List.copyOf(next);
        peerView = peers;
        Map<String, Peer> keys = new HashMap<>();
        byEndpointIp.clear();
        byEndpointIp6.clear();
        for (Peer p : peers) {
            keys.put(p.publicKeyBase64(), p);
            InetSocketAddress e = p.endpoint;
            if (e != null && e.getAddress() instanceof Inet4Address a) byEndpointIp.put(a.hashCode(), p);
            else if (e != null) byEndpointIp6.put(e.getAddress(), p);
        }
        byKey = Map.copyOf(keys);
        router = new Router(peers);
        for (Peer p : added) {
            LOG.info("wireguard " + p + " added (endpoint " + p.endpoint + ", subnets " + p.allowed + ")");
            requestHandshake(p, now, false);
        }
    }

    private void removePeer(Peer p) {
        LOG.info("wireguard " + p + " removed");
        p.removed = true;
        drop(p.current);
        drop(p.previous);
        drop(p.next);
        p.current = p.previous = p.next = null;
        p.staged.clear();
        p.timers.disarmAll();
        worker.forget(p);
    }

    // ------------------------------------------------------------------------------------------- sessions

    /** A handshake finished (called on the loop by the handshake thread): the new keypair goes in. */
    void install(Peer p, SessionKeys keys) {
        if (p.removed) {
            indices.release(keys.localIndex());
            keys.wipe();
            return;
        }
        long now = System.nanoTime();
        Keypair kp = new Keypair(p, keys, now);
        keypairs.put(kp.localIndex, kp);
        if (kp.initiator) {
            if (p.next != null) {
                drop(p.previous);
                p.previous = p.next;
                p.next = null;
                drop(p.current);
            } else {
                drop(p.previous);
                p.previous = p.current;
            }
            p.current = kp;
            handshakeComplete(p);
            sessionDerived(p, now);
            if (!p.staged.isEmpty()) tx.flushStaged(p, now);
            else tx.sendKeepalive(p, now); // confirms the session to the responder
        } else {
            drop(p.next);
            p.next = kp;
            drop(p.previous);
            p.previous = null;
            sessionDerived(p, now);
        }
    }

    void drop(Keypair kp) {
        if (kp == null) return;
        keypairs.remove(kp.localIndex);
        indices.release(kp.localIndex);
    }

    /** An authenticated transport message arrived on {@code kp} from {@code sender}. */
    void authenticated(Keypair kp, InetSocketAddress sender, long now) {
        Peer p = kp.peer;
        if (kp == p.next) { // the initiator used the new keys: they are confirmed
            drop(p.previous);
            p.previous = p.current;
            p.current = kp;
            p.next = null;
            handshakeComplete(p);
            if (!p.staged.isEmpty()) tx.flushStaged(p, now);
        }
        if (sender != null && !sender.equals(p.endpoint)) p.endpoint = sender; // roaming
        p.timers.disarm(PeerTimers.NEW_HANDSHAKE);
        traversal(p, now);
    }

    private void handshakeComplete(Peer p) {
        p.timers.disarm(PeerTimers.RETRANSMIT_HANDSHAKE);
        p.timers.handshakeAttempts = 0;
        p.timers.sentLastMinuteHandshake = false;
        p.counters.handshakeCompleted(System.currentTimeMillis());
    }

    private void sessionDerived(Peer p, long now) {
        p.timers.arm(PeerTimers.ZERO_KEY_MATERIAL, now + 3 * Protocol.REJECT_AFTER_TIME);
    }

    // --------------------------------------------------------------------------------------------- timers

    /** Asks the handshake thread for an initiation, at most one per REKEY_TIMEOUT unless this is a retransmission. */
    void requestHandshake(Peer p, long now, boolean retransmit) {
        PeerTimers t = p.timers;
        if (!retransmit && t.initiationRequestedOnce && now - t.lastInitiationRequested < Protocol.REKEY_TIMEOUT) return;
        t.initiationRequestedOnce = true;
        t.lastInitiationRequested = now;
        worker.initiate(p);
    }

    /** An initiation went out (on the loop): wait REKEY_TIMEOUT plus jitter for the answer. */
    void initiationSent(Peer p, long now) {
        p.timers.arm(PeerTimers.RETRANSMIT_HANDSHAKE, now + Protocol.REKEY_TIMEOUT + jitter());
        p.timers.disarm(PeerTimers.SEND_KEEPALIVE);
        traversal(p, now);
    }

    void dataSent(Peer p, Keypair kp, long now) {
        if (!p.timers.pending(PeerTimers.NEW_HANDSHAKE)) {
            p.timers.arm(PeerTimers.NEW_HANDSHAKE, now + Protocol.KEEPALIVE_TIMEOUT + Protocol.REKEY_TIMEOUT + jitter());
        }
        authenticatedSent(p, now);
        if (Long.compareUnsigned(kp.sendCounter, Protocol.REKEY_AFTER_MESSAGES) > 0
                || (kp.initiator && now - kp.created > Protocol.REKEY_AFTER_TIME)) {
            requestHandshake(p, now, false);
        }
    }

    void authenticatedSent(Peer p, long now) {
        p.timers.disarm(PeerTimers.SEND_KEEPALIVE);
        traversal(p, now);
    }

    void dataReceived(Peer p, long now) {
        PeerTimers t = p.timers;
        if (!t.pending(PeerTimers.SEND_KEEPALIVE)) t.arm(PeerTimers.SEND_KEEPALIVE, now + Protocol.KEEPALIVE_TIMEOUT);
        else t.needAnotherKeepalive = true;
        Keypair kp = p.current;
        if (!t.sentLastMinuteHandshake && kp != null && kp.initiator
                && now - kp.created > Protocol.REJECT_AFTER_TIME - Protocol.KEEPALIVE_TIMEOUT - Protocol.REKEY_TIMEOUT) {
            t.sentLastMinuteHandshake = true;
            requestHandshake(p, now, false);
        }
    }

    private void traversal(Peer p, long now) {
        int k = p.keepaliveSeconds;
        if (k > 0) p.timers.arm(PeerTimers.PERSISTENT_KEEPALIVE, now + k * 1_000_000_000L);
    }

    /** A transport message for an index we do not know: if it comes from a peer's address, that peer gets a handshake. */
    void unknownSession(InetSocketAddress sender, long now) {
        if (sender == null || sender.getAddress() == null) return;
        Peer p = sender.getAddress() instanceof Inet4Address a ? byEndpointIp.get(a.hashCode()) : byEndpointIp6.get(sender.getAddress());
        if (p != null && !p.removed) requestHandshake(p, now, false);
    }

    /** Runs the timers that are due; the datapath calls it a few times a second. */
    public void tick() {
        long now = System.nanoTime();
        for (Peer p : peers) {
            PeerTimers t = p.timers;
            if (t.fire(PeerTimers.RETRANSMIT_HANDSHAKE, now)) {
                if (t.handshakeAttempts > Protocol.MAX_TIMER_HANDSHAKES) {
                    LOG.info("wireguard " + p + ": no handshake after " + (Protocol.MAX_TIMER_HANDSHAKES + 2) + " attempts, giving up until there is traffic");
                    t.disarm(PeerTimers.SEND_KEEPALIVE);
                    for (int i = p.staged.size(); i > 0; i--) p.counters.drop(WgDrop.NO_SESSION);
                    p.staged.clear();
                    if (!t.pending(PeerTimers.ZERO_KEY_MATERIAL)) t.arm(PeerTimers.ZERO_KEY_MATERIAL, now + 3 * Protocol.REJECT_AFTER_TIME);
                } else {
                    t.handshakeAttempts++;
                    requestHandshake(p, now, true);
                }
            }
            if (t.fire(PeerTimers.SEND_KEEPALIVE, now)) {
                tx.sendKeepalive(p, now);
                if (t.needAnotherKeepalive) {
                    t.needAnotherKeepalive = false;
                    t.arm(PeerTimers.SEND_KEEPALIVE, now + Protocol.KEEPALIVE_TIMEOUT);
                }
            }
            if (t.fire(PeerTimers.NEW_HANDSHAKE, now)) requestHandshake(p, now, false);
            if (t.fire(PeerTimers.ZERO_KEY_MATERIAL, now)) {
                drop(p.current);
                drop(p.previous);
                drop(p.next);
                p.current = p.previous = p.next = null;
                worker.clear(p);
            }
            if (t.fire(PeerTimers.PERSISTENT_KEEPALIVE, now) && p.keepaliveSeconds > 0) tx.sendKeepalive(p, now);
        }
        io.flush();
    }

    private static long jitter() {
        return ThreadLocalRandom.current().nextInt(Protocol.REKEY_TIMEOUT_JITTER_MAX_MS) * 1_000_000L;
    }

    /** Sends a handshake message (on the loop). */
    void sendHandshake(byte[] msg, InetSocketAddress to) {
        if (to == null) return;
        ByteBuf b = io.alloc().directBuffer(msg.length);
        b.writeBytes(msg);
        io.send(b, 0, to);
        io.flush();
    }

    /** Stops the handshake thread and frees the loop's buffers (on the loop, after the last packet). */
    @Override
    public void close() {
        worker.close();
        tx.close();
        rx.close();
    }
}
