package io.weft.agent.backend.wireguard.noise;

import java.security.SecureRandom;

/**
 * The receiving side of WireGuard's DoS defence (whitepaper §5.4.7) for handshake messages sent to us: MAC1 proves
 * the sender knows our public key (checked before any DH work); under load a valid MAC2 is also required, keyed with
 * a cookie we hand out in a cookie reply, which is a MAC of the sender's address under a secret that changes every
 * two minutes, so a sender must be able to receive at the address it claims. One handshake thread uses an instance.
 */
public final class CookieChecker {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] mac1Key = new byte[32];
    private final byte[] cookieKey = new byte[32];
    private final byte[] secret = new byte[32];
    private long secretSet = System.nanoTime() - 2 * Protocol.COOKIE_REFRESH_TIME;
    private final byte[] scratch = new byte[16];

    public CookieChecker(NoiseTools t, byte[] ourPublicKey) {
        t.hash(mac1Key, Protocol.LABEL_MAC1, ourPublicKey, 0, ourPublicKey.length);
        t.hash(cookieKey, Protocol.LABEL_COOKIE, ourPublicKey, 0, ourPublicKey.length);
    }

    /** Whether the MAC1 of handshake message {@code msg} (its whole length) is right. */
    public boolean checkMac1(NoiseTools t, byte[] msg) {
        int mac1 = msg.length - 2 * Protocol.MAC_LENGTH;
        t.mac(mac1Key, 32, msg, mac1, scratch, 0);
        return equal(scratch, msg, mac1);
    }

    /** Whether the MAC2 of {@code msg} was made with the cookie we would give {@code source} now. */
    public boolean checkMac2(NoiseTools t, byte[] msg, byte[] source) {
        if (System.nanoTime() - secretSet > Protocol.COOKIE_REFRESH_TIME) return false;
        byte[] cookie = new byte[16];
        t.mac(secret, 32, source, source.length, cookie, 0);
        int mac2 = msg.length - Protocol.MAC_LENGTH;
        t.mac(cookie, 16, msg, mac2, scratch, 0);
        return equal(scratch, msg, mac2);
    }

    /** A cookie reply to {@code msg} (whose sender index is {@code receiver}) for a sender at {@code source}. */
    public byte[] createReply(NoiseTools t, byte[] msg, int receiver, byte[] source) {
        long now = System.nanoTime();
        if (now - secretSet > Protocol.COOKIE_REFRESH_TIME) {
            RANDOM.nextBytes(secret);
            secretSet = now;
        }
        byte[] cookie = new byte[16];
        t.mac(secret, 32, source, source.length, cookie, 0);
        byte[] reply = new byte[Protocol.COOKIE_REPLY_LENGTH];
        reply[0] = Protocol.TYPE_COOKIE_REPLY;
        Protocol.u32le(reply, Protocol.COOKIE_RECEIVER, receiver);
        byte[] nonce = new byte[24];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, Protocol.COOKIE_NONCE, 24);
        int mac1 = msg.length - 2 * Protocol.MAC_LENGTH;
        byte[] ad = java.util.Arrays.copyOfRange(msg, mac1, mac1 + Protocol.MAC_LENGTH);
        t.xaead.seal(cookieKey, nonce, ad, cookie, 0, 16, reply, Protocol.COOKIE_SEALED);
        return reply;
    }

    private static boolean equal(byte[] mac, byte[] msg, int off) {
        int d = 0;
        for (int i = 0; i < Protocol.MAC_LENGTH; i++) d |= mac[i] ^ msg[off + i];
        return d == 0;
    }
}
