package io.weft.agent.backend.wireguard.crypto;

import java.util.HexFormat;

/** Hex helpers for the crypto tests. */
final class CryptoVectors {
    private CryptoVectors() {}

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s:]", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] range(int from, int toExclusive) {
        byte[] b = new byte[toExclusive - from];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (from + i);
        return b;
    }
}
