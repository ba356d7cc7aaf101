package io.weft.agent.backend.wireguard.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * Curve25519 Diffie-Hellman (RFC 7748) on raw 32-byte keys as WireGuard writes them, through the JDK's XDH. A
 * private key is clamped as {@code wg genkey} clamps it; a public key is the u-coordinate, little-endian. A shared
 * secret of all zeros (a small-order point) is refused, as WireGuard refuses it. Not thread safe (one per thread).
 */
public final class X25519 {
    public static final int KEY_LENGTH = 32;
    private static final BigInteger BASE = BigInteger.valueOf(9);
    private static final SecureRandom RANDOM = new SecureRandom();
    private final KeyFactory factory;
    private final KeyAgreement agreement;

    public X25519() {
        try {
            factory = KeyFactory.getInstance("X25519");
            agreement = KeyAgreement.getInstance("X25519");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no X25519", e);
        }
    }

    /** A new clamped private key, as {@code wg genkey}. */
    public static byte[] generatePrivate() {
        byte[] k = new byte[KEY_LENGTH];
        RANDOM.nextBytes(k);
        clamp(k);
        return k;
    }

    public static void clamp(byte[] k) {
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
    }

    /** The public key of {@code privateKey}: X25519(k, 9). */
    public byte[] publicKey(byte[] privateKey) {
        try {
            return agree(privateKey, factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BASE)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a usable private key", e);
        }
    }

    /** X25519(privateKey, publicKey), or null when the result would be all zeros (a small-order public key). */
    public byte[] sharedSecret(byte[] privateKey, byte[] publicKey) {
        byte[] u = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) u[i] = publicKey[KEY_LENGTH - 1 - i];
        u[0] &= 127; // RFC 7748 §5: the top bit of the u-coordinate is ignored
        try {
            PublicKey pub = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, u)));
            return agree(privateKey, pub);
        } catch (java.security.InvalidKeyException e) {
            return null; // "point has small order": an all-zero secret
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] agree(byte[] privateKey, PublicKey pub) throws GeneralSecurityException {
        PrivateKey priv = factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
        agreement.init(priv);
        agreement.doPhase(pub, true);
        byte[] s = agreement.generateSecret();
        int d = 0;
        for (byte b : s) d |= b;
        return d == 0 ? null : s;
    }
}
