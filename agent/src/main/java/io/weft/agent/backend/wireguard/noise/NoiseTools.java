package io.weft.agent.backend.wireguard.noise;

import io.weft.agent.backend.wireguard.crypto.Blake2s;
import io.weft.agent.backend.wireguard.crypto.ChaChaPoly;
import io.weft.agent.backend.wireguard.crypto.Hmac;
import io.weft.agent.backend.wireguard.crypto.X25519;
import io.weft.agent.backend.wireguard.crypto.XChaChaPoly;

/**
 * The primitives of one handshake thread (none is thread safe) and the Noise operations built on them: HASH, MAC,
 * HMAC-based KDF1..3, AEAD with a zero nonce, DH. One instance per thread that processes handshakes.
 */
public final class NoiseTools {
    static final byte[] INITIAL_CHAIN_KEY;
    static final byte[] INITIAL_HASH;

    static {
        Blake2s b = new Blake2s();
        INITIAL_CHAIN_KEY = b.init().update(Protocol.CONSTRUCTION).digest();
        INITIAL_HASH = b.init().update(INITIAL_CHAIN_KEY).update(Protocol.IDENTIFIER).digest();
    }

    final Blake2s blake = new Blake2s();
    final Hmac hmac = new Hmac();
    final ChaChaPoly aead = new ChaChaPoly();
    final XChaChaPoly xaead = new XChaChaPoly();
    final X25519 dh = new X25519();
    private final byte[] t0 = new byte[32];
    private final byte[] t1 = new byte[32];
    private final byte[] t2 = new byte[32];
    private static final byte[] ONE = {1};
    private static final byte[] TWO = {2};
    private static final byte[] THREE = {3};

    /** HASH(a || b) into {@code out} (may be {@code a}). */
    void hash(byte[] out, byte[] a, byte[] b, int bOff, int bLen) {
        blake.init().update(a).update(b, bOff, bLen);
        blake.digest(out, 0);
    }

    void mixHash(byte[] h, byte[] data, int off, int len) {
        hash(h, h, data, off, len);
    }

    void mixHash(byte[] h, byte[] data) {
        hash(h, h, data, 0, data.length);
    }

    /** Keyed BLAKE2s with a 16-byte output: MAC(key, data[0, len)) into {@code out[outOff]}. */
    void mac(byte[] key, int keyLen, byte[] data, int len, byte[] out, int outOff) {
        blake.init(Protocol.MAC_LENGTH, key, keyLen).update(data, 0, len);
        blake.digest(out, outOff);
    }

    /** chainKey = KDF1(chainKey, input). */
    void kdf1(byte[] chainKey, byte[] input) {
        hmac.mac(chainKey, t0, 0, input);
        hmac.mac(t0, chainKey, 0, ONE);
        java.util.Arrays.fill(t0, (byte) 0);
    }

    /** (chainKey, key) = KDF2(chainKey, input). */
    void kdf2(byte[] chainKey, byte[] key, byte[] input) {
        hmac.mac(chainKey, t0, 0, input);
        hmac.mac(t0, t1, 0, ONE);
        hmac.mac(t0, key, 0, t1, TWO);
        System.arraycopy(t1, 0, chainKey, 0, 32);
        java.util.Arrays.fill(t0, (byte) 0);
        java.util.Arrays.fill(t1, (byte) 0);
    }

    /** (a, b) = KDF2(chainKey, empty): the two transport keys, chain key untouched. */
    void kdf2Split(byte[] chainKey, byte[] a, byte[] b) {
        hmac.mac(chainKey, t0, 0, new byte[0]);
        hmac.mac(t0, a, 0, ONE);
        hmac.mac(t0, b, 0, a, TWO);
        java.util.Arrays.fill(t0, (byte) 0);
    }

    /** (chainKey, tau, key) = KDF3(chainKey, input). */
    void kdf3(byte[] chainKey, byte[] tau, byte[] key, byte[] input) {
        hmac.mac(chainKey, t0, 0, input);
        hmac.mac(t0, t1, 0, ONE);
        hmac.mac(t0, t2, 0, t1, TWO);
        hmac.mac(t0, key, 0, t2, THREE);
        System.arraycopy(t1, 0, chainKey, 0, 32);
        System.arraycopy(t2, 0, tau, 0, 32);
        java.util.Arrays.fill(t0, (byte) 0);
        java.util.Arrays.fill(t1, (byte) 0);
        java.util.Arrays.fill(t2, (byte) 0);
    }

    /** AEAD(key, 0, plain, hash) into {@code out[outOff]}. */
    void seal(byte[] key, byte[] plain, int plainLen, byte[] ad, byte[] out, int outOff) {
        aead.seal(ChaChaPoly.key(key, 0), 0, ad, 0, ad.length, plain, 0, plainLen, out, outOff);
    }

    /** Opens {@code in[inOff, +len)} with AEAD(key, 0, ., hash) into {@code out}; false if it does not authenticate. */
    boolean open(byte[] key, byte[] in, int inOff, int len, byte[] ad, byte[] out) {
        return aead.open(ChaChaPoly.key(key, 0), 0, ad, 0, ad.length, in, inOff, len, out, 0) >= 0;
    }

    /** DH(private, public), or null for an all-zero result. */
    byte[] dh(byte[] privateKey, byte[] publicKey) {
        return dh.sharedSecret(privateKey, publicKey);
    }

    byte[] publicKey(byte[] privateKey) {
        return dh.publicKey(privateKey);
    }
}
