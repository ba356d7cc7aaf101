package io.weft.agent.backend.wireguard.crypto;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3), which WireGuard's cookie replies use with a random 24-byte
 * nonce: the subkey is HChaCha20(key, nonce[0..16)), then ChaCha20-Poly1305 runs with the 96-bit nonce
 * {@code 0x00000000 || nonce[16..24)}, i.e. WireGuard's counter form with the last eight bytes as the counter.
 */
public final class XChaChaPoly {
    public static final int NONCE_LENGTH = 24;
    private final ChaChaPoly aead = new ChaChaPoly();
    private final byte[] subkey = new byte[32];

    /** Encrypts {@code in} (with {@code aad}) to {@code out[outOff]}, tag appended; returns the bytes written. */
    public int seal(byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        HChaCha20.subkey(key, 0, nonce, 0, subkey, 0);
        try {
            return aead.seal(ChaChaPoly.key(subkey, 0), Poly1305.le64(nonce, 16), aad, 0, aad.length, in, inOff, len,
                    out, outOff);
        } finally {
            java.util.Arrays.fill(subkey, (byte) 0);
        }
    }

    /** Opens {@code in[inOff, +len)} (ciphertext and tag) to {@code out[outOff]}; the plaintext length or -1. */
    public int open(byte[] key, byte[] nonce, int nonceOff, byte[] aad, byte[] in, int inOff, int len, byte[] out,
                    int outOff) {
        HChaCha20.subkey(key, 0, nonce, nonceOff, subkey, 0);
        try {
            return aead.open(ChaChaPoly.key(subkey, 0), Poly1305.le64(nonce, nonceOff + 16), aad, 0, aad.length, in,
                    inOff, len, out, outOff);
        } finally {
            java.util.Arrays.fill(subkey, (byte) 0);
        }
    }
}
