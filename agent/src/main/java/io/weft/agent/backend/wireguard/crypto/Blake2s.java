package io.weft.agent.backend.wireguard.crypto;

/**
 * BLAKE2s (RFC 7693), keyed or not, with a 1..32 byte digest: WireGuard's hash (32 bytes), its MAC1/MAC2 and cookie
 * MACs (keyed, 16 bytes) and, through {@link Hmac}, its key derivation. An instance is reusable ({@link #init}) and
 * allocates nothing after construction; it is not thread safe.
 */
public final class Blake2s {
    public static final int BLOCK = 64;
    public static final int MAX_DIGEST = 32;
    private static final int[] IV = {
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
    private static final byte[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0}};

    private final int[] h = new int[8];
    private final int[] m = new int[16];
    private final int[] v = new int[16];
    private final byte[] buf = new byte[BLOCK];
    private int bufLen;
    private long counter;
    private int digestLength;

    public Blake2s() {
        init(MAX_DIGEST, null, 0);
    }

    /** Starts a new hash with a {@code digestLength}-byte output, keyed with {@code key[0, keyLength)} (null: none). */
    public Blake2s init(int digestLength, byte[] key, int keyLength) {
        if (digestLength < 1 || digestLength > MAX_DIGEST || keyLength < 0 || keyLength > 32) {
            throw new IllegalArgumentException("digest 1..32 bytes, key 0..32 bytes");
        }
        this.digestLength = digestLength;
        System.arraycopy(IV, 0, h, 0, 8);
        h[0] ^= 0x01010000 ^ (keyLength << 8) ^ digestLength;
        counter = 0;
        bufLen = 0;
        if (key != null && keyLength > 0) {
            java.util.Arrays.fill(buf, (byte) 0);
            System.arraycopy(key, 0, buf, 0, keyLength);
            bufLen = BLOCK; // the key block is compressed as the first full block
        }
        return this;
    }

    /** An unkeyed hash with a 32-byte digest. */
    public Blake2s init() {
        return init(MAX_DIGEST, null, 0);
    }

    public Blake2s update(byte[] in) {
        return update(in, 0, in.length);
    }

    public Blake2s update(byte[] in, int off, int len) {
        while (len > 0) {
            if (bufLen == BLOCK) { // only compress a full block when more follows: the last one is finalized
                counter += BLOCK;
                compress(buf, 0, false);
                bufLen = 0;
            }
            int n = Math.min(len, BLOCK - bufLen);
            System.arraycopy(in, off, buf, bufLen, n);
            bufLen += n;
            off += n;
            len -= n;
        }
        return this;
    }

    /** Writes the digest to {@code out[off]}; the instance must be {@link #init}ed again before reuse. */
    public void digest(byte[] out, int off) {
        counter += bufLen;
        java.util.Arrays.fill(buf, bufLen, BLOCK, (byte) 0);
        compress(buf, 0, true);
        for (int i = 0; i < digestLength; i++) out[off + i] = (byte) (h[i >>> 2] >>> (8 * (i & 3)));
    }

    public byte[] digest() {
        byte[] out = new byte[digestLength];
        digest(out, 0);
        return out;
    }

    private void compress(byte[] block, int off, boolean last) {
        for (int i = 0; i < 16; i++) {
            int p = off + 4 * i;
            m[i] = (block[p] & 0xff) | (block[p + 1] & 0xff) << 8 | (block[p + 2] & 0xff) << 16 | (block[p + 3] & 0xff) << 24;
        }
        System.arraycopy(h, 0, v, 0, 8);
        System.arraycopy(IV, 0, v, 8, 8);
        v[12] ^= (int) counter;
        v[13] ^= (int) (counter >>> 32);
        if (last) v[14] = ~v[14];
        for (int r = 0; r < 10; r++) {
            byte[] s = SIGMA[r];
            g(0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }

    private void g(int a, int b, int c, int d, int x, int y) {
        v[a] += v[b] + x;
        v[d] = Integer.rotateRight(v[d] ^ v[a], 16);
        v[c] += v[d];
        v[b] = Integer.rotateRight(v[b] ^ v[c], 12);
        v[a] += v[b] + y;
        v[d] = Integer.rotateRight(v[d] ^ v[a], 8);
        v[c] += v[d];
        v[b] = Integer.rotateRight(v[b] ^ v[c], 7);
    }
}
