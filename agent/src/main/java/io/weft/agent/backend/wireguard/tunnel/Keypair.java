package io.weft.agent.backend.wireguard.tunnel;

import io.weft.agent.backend.wireguard.crypto.ChaChaPoly;
import io.weft.agent.backend.wireguard.noise.Protocol;
import io.weft.agent.backend.wireguard.noise.ReplayWindow;
import io.weft.agent.backend.wireguard.noise.SessionKeys;
import javax.crypto.spec.SecretKeySpec;

/**
 * One transport session with a peer: the keys a handshake derived, the indices, the send counter and the receive
 * replay window. Owned by the event loop.
 */
final class Keypair {
    final Peer peer;
    final SecretKeySpec send;
    final SecretKeySpec receive;
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long created;
    long sendCounter;
    final ReplayWindow replay = new ReplayWindow();

    Keypair(Peer peer, SessionKeys keys, long now) {
        this.peer = peer;
        this.send = ChaChaPoly.key(keys.sendKey(), 0);
        this.receive = ChaChaPoly.key(keys.receiveKey(), 0);
        this.localIndex = keys.localIndex();
        this.remoteIndex = keys.remoteIndex();
        this.initiator = keys.initiator();
        this.created = now;
        keys.wipe();
    }

    /** Whether we may still send with it: younger than REJECT_AFTER_TIME and counters left. */
    boolean canSend(long now) {
        return now - created < Protocol.REJECT_AFTER_TIME
                && Long.compareUnsigned(sendCounter, Protocol.REJECT_AFTER_MESSAGES) < 0;
    }

    boolean expired(long now) {
        return now - created >= Protocol.REJECT_AFTER_TIME;
    }
}
