package io.weft.agent.backend.wireguard.crypto;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha §2.2): the ChaCha20 block function without the final addition, keeping
 * words 0..3 and 12..15; it turns a 256-bit key and a 128-bit nonce into the subkey XChaCha20 uses. Only cookie
 * replies need it, so it is plain Java.
 */
public final class HChaCha20 {
    private HChaCha20() {}

    /** Writes the 32-byte subkey for {@code key[keyOff, +32)} and {@code nonce[nonceOff, +16)} to {@code out[outOff]}. */
    public static void subkey(byte[] key, int keyOff, byte[] nonce, int nonceOff, byte[] out, int outOff) {
        int[] x = new int[16];
        x[0] = 0x61707865;
        x[1] = 0x3320646e;
        x[2] = 0x79622d32;
        x[3] = 0x6b206574;
        for (int i = 0; i < 8; i++) x[4 + i] = le32(key, keyOff + 4 * i);
        for (int i = 0; i < 4; i++) x[12 + i] = le32(nonce, nonceOff + 4 * i);
        for (int round = 0; round < 10; round++) {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 1, 5, 9, 13);
            quarter(x, 2, 6, 10, 14);
            quarter(x, 3, 7, 11, 15);
            quarter(x, 0, 5, 10, 15);
            quarter(x, 1, 6, 11, 12);
            quarter(x, 2, 7, 8, 13);
            quarter(x, 3, 4, 9, 14);
        }
        for (int i = 0; i < 4; i++) {
            le32(out, outOff + 4 * i, x[i]);
            le32(out, outOff + 16 + 4 * i, x[12 + i]);
        }
        java.util.Arrays.fill(x, 0);
    }

    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void le32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
