package io.weft.agent.backend.wireguard.crypto;

/**
 * The Poly1305 one-time authenticator (RFC 8439 §2.5) in radix 2^44: three 44/44/42-bit limbs, each block
 * multiplied with 64x64→128-bit products ({@link Math#unsignedMultiplyHigh}, one MULX-class instruction each).
 * Why not the JDK's: on CPUs without AVX-512 (this development machine, many cloud VMs) the JDK has no Poly1305
 * intrinsic and its generic code authenticates at ~3.6 Gb/s, which made the JDK's ChaCha20-Poly1305 run at 2.1 Gb/s;
 * see bench/README.md. Reusable and allocation-free; not thread safe.
 */
public final class Poly1305 {
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    private static final long M44 = 0xfffffffffffL;
    private static final long M42 = 0x3ffffffffffL;

    private long r0;
    private long r1;
    private long r2;
    private long s1;
    private long s2;
    private long pad0;
    private long pad1;
    private long h0;
    private long h1;
    private long h2;
    private final byte[] partial = new byte[16];
    private int partialLen;

    /** Starts a MAC with the 32-byte one-time key at {@code key[off]}. */
    public void init(byte[] key, int off) {
        long t0 = le64(key, off);
        long t1 = le64(key, off + 8);
        r0 = t0 & 0xffc0fffffffL;
        r1 = ((t0 >>> 44) | (t1 << 20)) & 0xfffffc0ffffL;
        r2 = (t1 >>> 24) & 0x00ffffffc0fL;
        s1 = r1 * (5 << 2);
        s2 = r2 * (5 << 2);
        pad0 = le64(key, off + 16);
        pad1 = le64(key, off + 24);
        h0 = 0;
        h1 = 0;
        h2 = 0;
        partialLen = 0;
    }

    public void update(byte[] m, int off, int len) {
        if (partialLen > 0) {
            int n = Math.min(len, 16 - partialLen);
            System.arraycopy(m, off, partial, partialLen, n);
            partialLen += n;
            off += n;
            len -= n;
            if (partialLen < 16) return;
            blocks(partial, 0, 16, 1L << 40);
            partialLen = 0;
        }
        int full = len & ~15;
        if (full > 0) blocks(m, off, full, 1L << 40);
        if (len > full) {
            System.arraycopy(m, off + full, partial, 0, len - full);
            partialLen = len - full;
        }
    }

    /** Feeds zero bytes up to the next multiple of 16 of what was fed so far (the AEAD construction's padding). */
    public void padTo16() {
        if (partialLen == 0) return;
        java.util.Arrays.fill(partial, partialLen, 16, (byte) 0);
        blocks(partial, 0, 16, 1L << 40);
        partialLen = 0;
    }

    /** Feeds two little-endian 64-bit lengths (a 16-byte block): the AEAD construction's trailer. */
    public void lengths(long a, long b) {
        padTo16();
        le64(partial, 0, a);
        le64(partial, 8, b);
        blocks(partial, 0, 16, 1L << 40);
    }

    private void blocks(byte[] m, int off, int len, long hibit) {
        // locals, not fields, in the loop: C2 keeps them in registers (measured ~25 % faster)
        long a0 = h0;
        long a1 = h1;
        long a2 = h2;
        final long k0 = r0;
        final long k1 = r1;
        final long k2 = r2;
        final long t1s = s1;
        final long t2s = s2;
        for (int end = off + len; off < end; off += 16) {
            long t0 = le64(m, off);
            long t1 = le64(m, off + 8);
            a0 += t0 & M44;
            a1 += ((t0 >>> 44) | (t1 << 20)) & M44;
            a2 += ((t1 >>> 24) & M42) | hibit;
            // d = a * r mod 2^130 - 5 as three 128-bit sums (hi, lo); each product is below 2^93
            long lo = a0 * k0;
            long hi = Math.unsignedMultiplyHigh(a0, k0);
            long q = lo + a1 * t2s;
            hi += Math.unsignedMultiplyHigh(a1, t2s) + (Long.compareUnsigned(q, lo) < 0 ? 1 : 0);
            lo = a2 * t1s;
            long d0lo = q + lo;
            long d0hi = hi + Math.unsignedMultiplyHigh(a2, t1s) + (Long.compareUnsigned(d0lo, q) < 0 ? 1 : 0);

            lo = a0 * k1;
            hi = Math.unsignedMultiplyHigh(a0, k1);
            q = lo + a1 * k0;
            hi += Math.unsignedMultiplyHigh(a1, k0) + (Long.compareUnsigned(q, lo) < 0 ? 1 : 0);
            lo = a2 * t2s;
            long d1lo = q + lo;
            long d1hi = hi + Math.unsignedMultiplyHigh(a2, t2s) + (Long.compareUnsigned(d1lo, q) < 0 ? 1 : 0);

            lo = a0 * k2;
            hi = Math.unsignedMultiplyHigh(a0, k2);
            q = lo + a1 * k1;
            hi += Math.unsignedMultiplyHigh(a1, k1) + (Long.compareUnsigned(q, lo) < 0 ? 1 : 0);
            lo = a2 * k0;
            long d2lo = q + lo;
            long d2hi = hi + Math.unsignedMultiplyHigh(a2, k0) + (Long.compareUnsigned(d2lo, q) < 0 ? 1 : 0);

            long c = (d0lo >>> 44) | (d0hi << 20);
            a0 = d0lo & M44;
            q = d1lo + c;
            d1hi += Long.compareUnsigned(q, d1lo) < 0 ? 1 : 0;
            c = (q >>> 44) | (d1hi << 20);
            a1 = q & M44;
            q = d2lo + c;
            d2hi += Long.compareUnsigned(q, d2lo) < 0 ? 1 : 0;
            c = (q >>> 42) | (d2hi << 22);
            a2 = q & M42;
            a0 += c * 5;
            c = a0 >>> 44;
            a0 &= M44;
            a1 += c;
        }
        h0 = a0;
        h1 = a1;
        h2 = a2;
    }

    /** Writes the 16-byte tag to {@code out[off]}. */
    public void finish(byte[] out, int off) {
        if (partialLen > 0) {
            partial[partialLen] = 1;
            java.util.Arrays.fill(partial, partialLen + 1, 16, (byte) 0);
            blocks(partial, 0, 16, 0);
            partialLen = 0;
        }
        long a0 = h0;
        long a1 = h1;
        long a2 = h2;
        long c = a1 >>> 44;
        a1 &= M44;
        a2 += c;
        c = a2 >>> 42;
        a2 &= M42;
        a0 += c * 5;
        c = a0 >>> 44;
        a0 &= M44;
        a1 += c;
        c = a1 >>> 44;
        a1 &= M44;
        a2 += c;
        c = a2 >>> 42;
        a2 &= M42;
        a0 += c * 5;
        c = a0 >>> 44;
        a0 &= M44;
        a1 += c;
        // g = h + 5 - 2^130: take it when it does not go negative (h >= p)
        long g0 = a0 + 5;
        c = g0 >>> 44;
        g0 &= M44;
        long g1 = a1 + c;
        c = g1 >>> 44;
        g1 &= M44;
        long g2 = a2 + c - (1L << 42);
        long mask = (g2 >>> 63) - 1; // all ones when g2 >= 0
        a0 = (a0 & ~mask) | (g0 & mask);
        a1 = (a1 & ~mask) | (g1 & mask);
        a2 = (a2 & ~mask) | (g2 & mask);
        // h + pad mod 2^128
        a0 += pad0 & M44;
        c = a0 >>> 44;
        a0 &= M44;
        a1 += (((pad0 >>> 44) | (pad1 << 20)) & M44) + c;
        c = a1 >>> 44;
        a1 &= M44;
        a2 += ((pad1 >>> 24) & M42) + c;
        a2 &= M42;
        long t0 = a0 | (a1 << 44);
        long t1 = (a1 >>> 20) | (a2 << 24);
        le64(out, off, t0);
        le64(out, off + 8, t1);
    }

    static long le64(byte[] b, int off) {
        return (long) LE64.get(b, off);
    }

    static void le64(byte[] b, int off, long v) {
        LE64.set(b, off, v);
    }

    private static final java.lang.invoke.VarHandle LE64 =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
}
