package io.weft.agent.backend.wireguard.tunnel;

import io.weft.agent.backend.wireguard.noise.CookieChecker;
import io.weft.agent.backend.wireguard.noise.CookieGenerator;
import io.weft.agent.backend.wireguard.noise.Handshake;
import io.weft.agent.backend.wireguard.noise.NoiseTools;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.agent.backend.wireguard.noise.SessionKeys;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The handshakes, on a thread of their own: each costs three or four X25519 operations (~0.2-0.7 ms each with the
 * JDK), which must not stall packets on the event loop. Messages are checked cheapest first: length, MAC1, then
 * under load MAC2 (answering with a cookie reply otherwise), and only then the DH work. A finished handshake hands its
 * keys to the loop ({@link Tunnel#install}); replies are sent from the loop, after the keys are in place.
 */
final class HandshakeWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HandshakeWorker.class.getName());
    /** Queued handshake messages beyond which we are "under load" and ask for cookies (wireguard-go: 1024 / 8). */
    static final int UNDER_LOAD_QUEUE = 128;
    private static final long UNDER_LOAD_HOLD = TimeUnit.SECONDS.toNanos(1);

    private final Tunnel t;
    private final ThreadPoolExecutor exec;
    private NoiseTools tools; // made on the worker thread
    private CookieChecker checker;
    private long underLoadUntil;
    private boolean underLoadSeen;

    HandshakeWorker(Tunnel t) {
        this.t = t;
        this.exec = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread th = new Thread(r, "weft-wg-handshake");
            th.setDaemon(true);
            return th;
        });
    }

    private NoiseTools tools() {
        if (tools == null) {
            tools = new NoiseTools();
            checker = new CookieChecker(tools, t.self.publicKey());
        }
        return tools;
    }

    /** Whether {@code underLoad} is forced on, for tests of the cookie path. */
    volatile boolean forceUnderLoad;

    /** A handshake message from the wire (from the loop). */
    void submit(int type, byte[] msg, InetSocketAddress source) {
        if (!run(() -> process(type, msg, source))) t.unknown.drop(WgDrop.UNDER_LOAD);
    }

    /** Sends an initiation to {@code p} (from the loop, which rate-limits). */
    void initiate(Peer p) {
        run(() -> doInitiate(p));
    }

    /** Forgets a removed peer's handshake in flight. */
    void forget(Peer p) {
        run(() -> clearNow(p));
    }

    /** Zeroes a peer's handshake state (its keys expired). */
    void clear(Peer p) {
        run(() -> clearNow(p));
    }

    private boolean run(Runnable r) {
        try {
            exec.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warning("wireguard handshake failed: " + e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void clearNow(Peer p) {
        if (p.handshakeIndex != 0) t.indices.release(p.handshakeIndex);
        p.handshakeIndex = 0;
        p.handshake(tools(), t.self).clear();
        p.responding(tools(), t.self).clear();
    }

    private void doInitiate(Peer p) {
        InetSocketAddress to = p.endpoint;
        if (p.removed || to == null) return;
        NoiseTools nt = tools();
        Handshake hs = p.handshake(nt, t.self);
        if (p.handshakeIndex != 0) t.indices.release(p.handshakeIndex); // a retransmission replaces the last one
        p.handshakeIndex = t.indices.allocate(p);
        byte[] msg = hs.createInitiation(nt, t.self, p.handshakeIndex);
        if (msg == null) {
            LOG.warning("wireguard " + p + ": its public key gives no shared secret (a small-order point); no handshake");
            return;
        }
        p.cookies(nt).addMacs(nt, msg);
        t.loop.execute(() -> {
            t.sendHandshake(msg, to);
            t.initiationSent(p, System.nanoTime());
        });
    }

    private boolean underLoad(long now) {
        if (forceUnderLoad || exec.getQueue().size() >= UNDER_LOAD_QUEUE) {
            underLoadUntil = now + UNDER_LOAD_HOLD;
            underLoadSeen = true;
        }
        return underLoadSeen && now - underLoadUntil < 0;
    }

    private void process(int type, byte[] msg, InetSocketAddress source) {
        NoiseTools nt = tools();
        int want = switch (type) {
            case Protocol.TYPE_INITIATION -> Protocol.INITIATION_LENGTH;
            case Protocol.TYPE_RESPONSE -> Protocol.RESPONSE_LENGTH;
            default -> Protocol.COOKIE_REPLY_LENGTH;
        };
        if (msg.length != want) {
            t.unknown.drop(WgDrop.RUNT);
            return;
        }
        if (type == Protocol.TYPE_COOKIE_REPLY) {
            Peer p = t.indices.owner(CookieGenerator.replyReceiver(msg));
            if (p == null || p.removed) t.unknown.drop(WgDrop.UNKNOWN_PEER);
            else if (!p.cookies(nt).consumeReply(nt, msg)) p.counters.drop(WgDrop.DECRYPT);
            return;
        }
        if (!checker.checkMac1(nt, msg)) {
            t.unknown.drop(WgDrop.BAD_MAC);
            return;
        }
        long now = System.nanoTime();
        if (underLoad(now) && !checker.checkMac2(nt, msg, sourceBytes(source))) {
            int sender = type == Protocol.TYPE_INITIATION ? Handshake.initiationSender(msg) : Handshake.responseSender(msg);
            byte[] reply = checker.createReply(nt, msg, sender, sourceBytes(source));
            t.unknown.drop(WgDrop.UNDER_LOAD);
            t.loop.execute(() -> t.sendHandshake(reply, source));
            return;
        }
        if (type == Protocol.TYPE_INITIATION) initiation(nt, msg, source, now);
        else response(nt, msg, source);
    }

    private void initiation(NoiseTools nt, byte[] msg, InetSocketAddress source, long now) {
        Peer[] found = new Peer[1];
        Handshake.Consumed c = Handshake.consumeInitiation(nt, t.self, msg, key -> {
            Peer p = t.peerByKey(key);
            found[0] = p;
            return p == null ? null : p.responding(nt, t.self);
        }, now);
        Peer p = found[0];
        switch (c.outcome()) {
            case OK -> { }
            case UNKNOWN_PEER -> {
                t.unknown.drop(WgDrop.UNKNOWN_PEER);
                return;
            }
            case REPLAY, FLOOD -> {
                p.counters.drop(WgDrop.REPLAY);
                return;
            }
            default -> {
                (p == null ? t.unknown : p.counters).drop(WgDrop.DECRYPT);
                return;
            }
        }
        p.endpoint = source;
        int index = t.indices.allocate(p); // our own initiation in flight, if any, keeps its index
        byte[] resp = c.handshake().createResponse(nt, index);
        if (resp == null) {
            t.indices.release(index);
            p.counters.drop(WgDrop.DECRYPT);
            return;
        }
        p.cookies(nt).addMacs(nt, resp);
        SessionKeys keys = c.handshake().deriveSession(nt);
        t.loop.execute(() -> {
            t.install(p, keys);
            t.sendHandshake(resp, source);
            t.authenticatedSent(p, System.nanoTime());
        });
    }

    private void response(NoiseTools nt, byte[] msg, InetSocketAddress source) {
        int receiver = Handshake.responseReceiver(msg);
        Peer p = t.indices.owner(receiver);
        if (p == null || p.removed || p.handshakeIndex != receiver) {
            t.unknown.drop(WgDrop.UNKNOWN_PEER);
            return;
        }
        Handshake hs = p.handshake(nt, t.self);
        Handshake.Outcome o = hs.consumeResponse(nt, t.self, msg);
        if (o != Handshake.Outcome.OK) {
            p.counters.drop(o == Handshake.Outcome.STATE ? WgDrop.REPLAY : WgDrop.DECRYPT);
            if (o == Handshake.Outcome.DECRYPT) LOG.fine("wireguard " + p + ": a handshake response did not authenticate (PSK mismatch?)");
            return;
        }
        p.endpoint = source;
        SessionKeys keys = hs.deriveSession(nt);
        p.handshakeIndex = 0;
        t.loop.execute(() -> t.install(p, keys));
    }

    /** The sender's address as the cookie binds it: IPv4 or IPv6 bytes, then the port. */
    private static byte[] sourceBytes(InetSocketAddress s) {
        byte[] ip = s.getAddress().getAddress();
        byte[] out = java.util.Arrays.copyOf(ip, ip.length + 2);
        out[ip.length] = (byte) (s.getPort() >>> 8);
        out[ip.length + 1] = (byte) s.getPort();
        return out;
    }

    @Override
    public void close() {
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
