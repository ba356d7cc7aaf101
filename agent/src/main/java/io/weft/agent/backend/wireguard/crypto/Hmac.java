package io.weft.agent.backend.wireguard.crypto;

import java.util.Arrays;

/**
 * HMAC (RFC 2104) over BLAKE2s-256, as WireGuard's key derivation uses it: HMAC-BLAKE2s, not keyed BLAKE2s. Reusable,
 * not thread safe.
 */
public final class Hmac {
    public static final int LENGTH = 32;
    private final Blake2s inner = new Blake2s();
    private final Blake2s outer = new Blake2s();
    private final byte[] pad = new byte[Blake2s.BLOCK];
    private final byte[] innerHash = new byte[LENGTH];

    /** Writes HMAC(key, data[0], data[1], ...) to {@code out[outOff]}: 32 bytes. Key at most 64 bytes. */
    public void mac(byte[] key, byte[] out, int outOff, byte[]... data) {
        if (key.length > Blake2s.BLOCK) throw new IllegalArgumentException("HMAC key longer than a block");
        Arrays.fill(pad, (byte) 0x36);
        for (int i = 0; i < key.length; i++) pad[i] ^= key[i];
        inner.init().update(pad);
        for (byte[] d : data) inner.update(d);
        inner.digest(innerHash, 0);
        Arrays.fill(pad, (byte) 0x5c);
        for (int i = 0; i < key.length; i++) pad[i] ^= key[i];
        outer.init().update(pad).update(innerHash);
        outer.digest(out, outOff);
        Arrays.fill(pad, (byte) 0);
        Arrays.fill(innerHash, (byte) 0);
    }
}
