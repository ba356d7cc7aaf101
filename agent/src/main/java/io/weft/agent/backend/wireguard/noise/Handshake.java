package io.weft.agent.backend.wireguard.noise;

import static io.weft.agent.backend.wireguard.noise.Protocol.INIT_EPHEMERAL;
import static io.weft.agent.backend.wireguard.noise.Protocol.INIT_SENDER;
import static io.weft.agent.backend.wireguard.noise.Protocol.INIT_STATIC;
import static io.weft.agent.backend.wireguard.noise.Protocol.INIT_TIMESTAMP;
import static io.weft.agent.backend.wireguard.noise.Protocol.KEY_LENGTH;
import static io.weft.agent.backend.wireguard.noise.Protocol.RESP_EMPTY;
import static io.weft.agent.backend.wireguard.noise.Protocol.RESP_EPHEMERAL;
import static io.weft.agent.backend.wireguard.noise.Protocol.RESP_RECEIVER;
import static io.weft.agent.backend.wireguard.noise.Protocol.RESP_SENDER;
import static io.weft.agent.backend.wireguard.noise.Protocol.TAG_LENGTH;
import static io.weft.agent.backend.wireguard.noise.Protocol.TIMESTAMP_LENGTH;

import io.weft.agent.backend.wireguard.crypto.X25519;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The Noise IKpsk2 handshake with one peer (whitepaper §5.4): the initiator's first message carries its ephemeral
 * key, its static key encrypted to the responder's static key, and a TAI64N timestamp; the responder answers with
 * its own ephemeral key and an empty AEAD that proves it holds both its static key and the pre-shared key. Both then
 * split the chain key into the two transport keys.
 *
 * <p>State moves ZEROED → INITIATION_CREATED → RESPONSE_CONSUMED on the initiator, ZEROED → INITIATION_CONSUMED →
 * RESPONSE_CREATED on the responder, and back to ZEROED once {@link #deriveSession} took the keys. A message that
 * fails any check changes nothing. One thread (the handshake thread) uses an instance.
 */
public final class Handshake {
    public enum State { ZEROED, INITIATION_CREATED, INITIATION_CONSUMED, RESPONSE_CREATED, RESPONSE_CONSUMED }

    /** Why a handshake message was refused, or OK. */
    public enum Outcome { OK, DECRYPT, UNKNOWN_PEER, REPLAY, FLOOD, STATE, BAD_KEY }

    /** A consumed initiation: whose it was, or why it was refused. */
    public record Consumed(Outcome outcome, Handshake handshake) {}

    private final byte[] remoteStatic;
    private final byte[] presharedKey;
    private byte[] staticStatic; // DH(our static, their static), or null when that is zero
    private final byte[] hash = new byte[32];
    private final byte[] chainKey = new byte[32];
    private byte[] localEphemeral;
    private byte[] remoteEphemeral;
    private int localIndex;
    private int remoteIndex;
    private State state = State.ZEROED;
    private byte[] lastTimestamp = new byte[TIMESTAMP_LENGTH];
    private long lastInitiationConsumed = System.nanoTime() - Protocol.REKEY_TIMEOUT;

    /**
     * @param remoteStatic the peer's public key
     * @param presharedKey the 32-byte pre-shared key, or null for none (all zeros)
     */
    public Handshake(NoiseTools t, LocalIdentity self, byte[] remoteStatic, byte[] presharedKey) {
        this.remoteStatic = remoteStatic.clone();
        this.presharedKey = presharedKey == null ? new byte[KEY_LENGTH] : presharedKey.clone();
        this.staticStatic = t.dh(self.privateKey, this.remoteStatic);
    }

    public byte[] remoteStatic() {
        return remoteStatic.clone();
    }

    public State state() {
        return state;
    }

    public int localIndex() {
        return localIndex;
    }

    /** Message 1, without MACs (the peer's CookieGenerator adds them); null when the peer's key is unusable. */
    public byte[] createInitiation(NoiseTools t, LocalIdentity self, int index) {
        if (staticStatic == null) return null;
        byte[] msg = new byte[Protocol.INITIATION_LENGTH];
        msg[0] = Protocol.TYPE_INITIATION;
        Protocol.u32le(msg, INIT_SENDER, index);
        System.arraycopy(NoiseTools.INITIAL_HASH, 0, hash, 0, 32);
        System.arraycopy(NoiseTools.INITIAL_CHAIN_KEY, 0, chainKey, 0, 32);
        t.mixHash(hash, remoteStatic);
        localEphemeral = X25519.generatePrivate();
        byte[] ephemeral = t.publicKey(localEphemeral);
        System.arraycopy(ephemeral, 0, msg, INIT_EPHEMERAL, KEY_LENGTH);
        t.kdf1(chainKey, ephemeral);
        t.mixHash(hash, ephemeral);
        byte[] ss = t.dh(localEphemeral, remoteStatic);
        if (ss == null) return null;
        byte[] key = new byte[32];
        t.kdf2(chainKey, key, ss);
        t.seal(key, self.publicKey, KEY_LENGTH, hash, msg, INIT_STATIC);
        t.mixHash(hash, msg, INIT_STATIC, KEY_LENGTH + TAG_LENGTH);
        t.kdf2(chainKey, key, staticStatic);
        byte[] timestamp = Tai64n.now();
        t.seal(key, timestamp, TIMESTAMP_LENGTH, hash, msg, INIT_TIMESTAMP);
        t.mixHash(hash, msg, INIT_TIMESTAMP, TIMESTAMP_LENGTH + TAG_LENGTH);
        Arrays.fill(key, (byte) 0);
        Arrays.fill(ss, (byte) 0);
        localIndex = index;
        state = State.INITIATION_CREATED;
        return msg;
    }

    /**
     * Reads message 1 (MAC1 already checked): decrypts the initiator's static key, finds its handshake with
     * {@code peers}, and, if the timestamp is newer than the last one and the peer is not flooding, stores the
     * handshake state for the response. {@code now} is {@link System#nanoTime()}.
     */
    public static Consumed consumeInitiation(NoiseTools t, LocalIdentity self, byte[] msg,
                                             Function<byte[], Handshake> peers, long now) {
        byte[] h = new byte[32];
        byte[] ck = NoiseTools.INITIAL_CHAIN_KEY.clone();
        t.hash(h, NoiseTools.INITIAL_HASH, self.publicKey, 0, KEY_LENGTH);
        byte[] ephemeral = Arrays.copyOfRange(msg, INIT_EPHEMERAL, INIT_EPHEMERAL + KEY_LENGTH);
        t.mixHash(h, ephemeral);
        t.kdf1(ck, ephemeral);
        byte[] ss = t.dh(self.privateKey, ephemeral);
        if (ss == null) return new Consumed(Outcome.BAD_KEY, null);
        byte[] key = new byte[32];
        t.kdf2(ck, key, ss);
        byte[] peerStatic = new byte[KEY_LENGTH];
        if (!t.open(key, msg, INIT_STATIC, KEY_LENGTH + TAG_LENGTH, h, peerStatic)) return new Consumed(Outcome.DECRYPT, null);
        t.mixHash(h, msg, INIT_STATIC, KEY_LENGTH + TAG_LENGTH);
        Handshake hs = peers.apply(peerStatic);
        if (hs == null) return new Consumed(Outcome.UNKNOWN_PEER, null);
        if (hs.staticStatic == null) return new Consumed(Outcome.BAD_KEY, hs);
        t.kdf2(ck, key, hs.staticStatic);
        byte[] timestamp = new byte[TIMESTAMP_LENGTH];
        if (!t.open(key, msg, INIT_TIMESTAMP, TIMESTAMP_LENGTH + TAG_LENGTH, h, timestamp)) {
            return new Consumed(Outcome.DECRYPT, hs);
        }
        t.mixHash(h, msg, INIT_TIMESTAMP, TIMESTAMP_LENGTH + TAG_LENGTH);
        Arrays.fill(key, (byte) 0);
        if (!Tai64n.after(timestamp, hs.lastTimestamp)) return new Consumed(Outcome.REPLAY, hs);
        if (now - hs.lastInitiationConsumed <= Protocol.HANDSHAKE_INITIATION_RATE) return new Consumed(Outcome.FLOOD, hs);
        System.arraycopy(h, 0, hs.hash, 0, 32);
        System.arraycopy(ck, 0, hs.chainKey, 0, 32);
        hs.remoteIndex = Protocol.u32le(msg, INIT_SENDER);
        hs.remoteEphemeral = ephemeral;
        hs.lastTimestamp = timestamp;
        hs.lastInitiationConsumed = now;
        hs.state = State.INITIATION_CONSUMED;
        return new Consumed(Outcome.OK, hs);
    }

    /** Message 2 for a consumed initiation, without MACs; null in any other state. */
    public byte[] createResponse(NoiseTools t, int index) {
        return createResponse(t, index, X25519.generatePrivate());
    }

    /** As {@link #createResponse(NoiseTools, int)} with a given ephemeral key: for test vectors only. */
    byte[] createResponse(NoiseTools t, int index, byte[] ephemeralPrivate) {
        if (state != State.INITIATION_CONSUMED) return null;
        byte[] msg = new byte[Protocol.RESPONSE_LENGTH];
        msg[0] = Protocol.TYPE_RESPONSE;
        Protocol.u32le(msg, RESP_SENDER, index);
        Protocol.u32le(msg, RESP_RECEIVER, remoteIndex);
        localEphemeral = ephemeralPrivate;
        byte[] ephemeral = t.publicKey(localEphemeral);
        System.arraycopy(ephemeral, 0, msg, RESP_EPHEMERAL, KEY_LENGTH);
        t.mixHash(hash, ephemeral);
        t.kdf1(chainKey, ephemeral);
        byte[] ee = t.dh(localEphemeral, remoteEphemeral);
        byte[] es = t.dh(localEphemeral, remoteStatic);
        if (ee == null || es == null) return null;
        t.kdf1(chainKey, ee);
        t.kdf1(chainKey, es);
        byte[] tau = new byte[32];
        byte[] key = new byte[32];
        t.kdf3(chainKey, tau, key, presharedKey);
        t.mixHash(hash, tau);
        t.seal(key, new byte[0], 0, hash, msg, RESP_EMPTY);
        t.mixHash(hash, msg, RESP_EMPTY, TAG_LENGTH);
        Arrays.fill(key, (byte) 0);
        Arrays.fill(tau, (byte) 0);
        localIndex = index;
        state = State.RESPONSE_CREATED;
        return msg;
    }

    /** Reads message 2 for our initiation (found by its receiver index; MAC1 already checked). */
    public Outcome consumeResponse(NoiseTools t, LocalIdentity self, byte[] msg) {
        if (state != State.INITIATION_CREATED) return Outcome.STATE;
        byte[] h = hash.clone();
        byte[] ck = chainKey.clone();
        byte[] ephemeral = Arrays.copyOfRange(msg, RESP_EPHEMERAL, RESP_EPHEMERAL + KEY_LENGTH);
        t.mixHash(h, ephemeral);
        t.kdf1(ck, ephemeral);
        byte[] ee = t.dh(localEphemeral, ephemeral);
        byte[] se = t.dh(self.privateKey, ephemeral);
        if (ee == null || se == null) return Outcome.BAD_KEY;
        t.kdf1(ck, ee);
        t.kdf1(ck, se);
        byte[] tau = new byte[32];
        byte[] key = new byte[32];
        t.kdf3(ck, tau, key, presharedKey);
        t.mixHash(h, tau);
        if (!t.open(key, msg, RESP_EMPTY, TAG_LENGTH, h, new byte[0])) return Outcome.DECRYPT;
        t.mixHash(h, msg, RESP_EMPTY, TAG_LENGTH);
        System.arraycopy(h, 0, hash, 0, 32);
        System.arraycopy(ck, 0, chainKey, 0, 32);
        remoteIndex = Protocol.u32le(msg, RESP_SENDER);
        state = State.RESPONSE_CONSUMED;
        return Outcome.OK;
    }

    /** Splits the chain key into transport keys after message 2 was created or consumed; null in other states. */
    public SessionKeys deriveSession(NoiseTools t) {
        boolean initiator;
        if (state == State.RESPONSE_CONSUMED) initiator = true;
        else if (state == State.RESPONSE_CREATED) initiator = false;
        else return null;
        byte[] first = new byte[32];
        byte[] second = new byte[32];
        t.kdf2Split(chainKey, first, second);
        SessionKeys keys = initiator ? new SessionKeys(first, second, localIndex, remoteIndex, true)
                : new SessionKeys(second, first, localIndex, remoteIndex, false);
        clear();
        return keys;
    }

    /** Forgets the handshake in progress (keeps the replay and flood memory). */
    public void clear() {
        Arrays.fill(hash, (byte) 0);
        Arrays.fill(chainKey, (byte) 0);
        if (localEphemeral != null) Arrays.fill(localEphemeral, (byte) 0);
        localEphemeral = null;
        remoteEphemeral = null;
        state = State.ZEROED;
    }

    /** The index of a message 2's receiver field, to find the handshake it answers. */
    public static int responseReceiver(byte[] msg) {
        return Protocol.u32le(msg, RESP_RECEIVER);
    }

    public static int initiationSender(byte[] msg) {
        return Protocol.u32le(msg, INIT_SENDER);
    }

    public static int responseSender(byte[] msg) {
        return Protocol.u32le(msg, RESP_SENDER);
    }
}
