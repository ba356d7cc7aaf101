package io.weft.agent.backend.wireguard.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) with WireGuard's nonce: 32 zero bits then a 64-bit little-endian
 * counter. The keystream comes from the JDK's ChaCha20 (an intrinsic on AVX2 and AVX-512), the tag from
 * {@link Poly1305}; the JDK's own AEAD is 5x slower here because its Poly1305 has no intrinsic without AVX-512.
 *
 * <p>The JDK refuses to initialise a ChaCha20 encryptor twice with one key and nonce; ChaCha20 alone is its own
 * inverse, so both directions run the cipher in DECRYPT mode, which has no such check: nonce reuse is prevented
 * where it belongs, by the session's send counter. Works on heap arrays (in place allowed); not thread safe.
 */
public final class ChaChaPoly {
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    private static final byte[] ZEROS = new byte[64];

    private final Cipher chacha;
    private final Poly1305 poly = new Poly1305();
    private final byte[] nonce = new byte[12];
    private final byte[] block0 = new byte[64];
    private final byte[] tag = new byte[TAG_LENGTH];

    public ChaChaPoly() {
        try {
            chacha = Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20 cipher", e);
        }
    }

    /** A key for {@link #seal} and {@link #open}: made once per session, not per packet. */
    public static SecretKeySpec key(byte[] key, int off) {
        return new SecretKeySpec(key, off, KEY_LENGTH, "ChaCha20");
    }

    /**
     * Encrypts {@code in[inOff, inOff+len)} to {@code out[outOff]} and writes the tag after it; returns len + 16.
     * {@code aad} may be null.
     */
    public int seal(SecretKeySpec key, long counter, byte[] aad, int aadOff, int aadLen,
                    byte[] in, int inOff, int len, byte[] out, int outOff) {
        start(key, counter);
        try {
            chacha.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        authenticate(aad, aadOff, aadLen, out, outOff, len);
        poly.finish(out, outOff + len);
        return len + TAG_LENGTH;
    }

    /**
     * Checks the tag of {@code in[inOff, inOff+len)} (ciphertext then tag) and decrypts it to {@code out[outOff]};
     * returns the plaintext length, or -1 (nothing written) when the tag does not match.
     */
    public int open(SecretKeySpec key, long counter, byte[] aad, int aadOff, int aadLen,
                    byte[] in, int inOff, int len, byte[] out, int outOff) {
        int ctLen = len - TAG_LENGTH;
        if (ctLen < 0) return -1;
        start(key, counter);
        authenticate(aad, aadOff, aadLen, in, inOff, ctLen);
        poly.finish(tag, 0);
        if (!tagEquals(in, inOff + ctLen)) return -1;
        try {
            chacha.doFinal(in, inOff, ctLen, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return ctLen;
    }

    /** Constant-time comparison of the computed tag with the 16 bytes at {@code b[off]}. */
    private boolean tagEquals(byte[] b, int off) {
        int d = 0;
        for (int i = 0; i < TAG_LENGTH; i++) d |= tag[i] ^ b[off + i];
        return d == 0;
    }

    private void start(SecretKeySpec key, long counter) {
        Poly1305.le64(nonce, 4, counter);
        try {
            chacha.init(Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(nonce, 0));
            chacha.update(ZEROS, 0, 64, block0, 0); // block 0: the one-time Poly1305 key; data starts at block 1
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        poly.init(block0, 0);
    }

    private void authenticate(byte[] aad, int aadOff, int aadLen, byte[] ct, int ctOff, int ctLen) {
        if (aadLen > 0) poly.update(aad, aadOff, aadLen);
        poly.padTo16();
        poly.update(ct, ctOff, ctLen);
        poly.padTo16();
        poly.lengths(aadLen, ctLen);
    }
}
