package io.weft.agent.backend.wireguard.noise;

/**
 * The sending side of the cookie mechanism for one peer: puts MAC1 (keyed with the peer's public key) on every
 * handshake message we send, remembers it, and once the peer answered one with a cookie reply (it is under load),
 * puts MAC2 keyed with that cookie on our messages for the next two minutes.
 */
public final class CookieGenerator {
    private final byte[] mac1Key = new byte[32];
    private final byte[] cookieKey = new byte[32];
    private final byte[] lastMac1 = new byte[16];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[16];
    private long cookieSet = System.nanoTime() - 2 * Protocol.COOKIE_REFRESH_TIME;

    public CookieGenerator(NoiseTools t, byte[] peerPublicKey) {
        t.hash(mac1Key, Protocol.LABEL_MAC1, peerPublicKey, 0, peerPublicKey.length);
        t.hash(cookieKey, Protocol.LABEL_COOKIE, peerPublicKey, 0, peerPublicKey.length);
    }

    /** Fills in MAC1 and, with a fresh cookie, MAC2 of handshake message {@code msg}. */
    public void addMacs(NoiseTools t, byte[] msg) {
        int mac1 = msg.length - 2 * Protocol.MAC_LENGTH;
        int mac2 = mac1 + Protocol.MAC_LENGTH;
        t.mac(mac1Key, 32, msg, mac1, msg, mac1);
        System.arraycopy(msg, mac1, lastMac1, 0, 16);
        hasLastMac1 = true;
        if (System.nanoTime() - cookieSet > Protocol.COOKIE_REFRESH_TIME) {
            java.util.Arrays.fill(msg, mac2, mac2 + Protocol.MAC_LENGTH, (byte) 0);
            return;
        }
        t.mac(cookie, 16, msg, mac2, msg, mac2);
    }

    /** Takes the cookie from a reply to our last message; false if it does not decrypt against that message. */
    public boolean consumeReply(NoiseTools t, byte[] reply) {
        if (!hasLastMac1 || reply.length != Protocol.COOKIE_REPLY_LENGTH) return false;
        byte[] out = new byte[16];
        int n = t.xaead.open(cookieKey, reply, Protocol.COOKIE_NONCE, lastMac1, reply, Protocol.COOKIE_SEALED,
                16 + Protocol.TAG_LENGTH, out, 0);
        if (n != 16) return false;
        System.arraycopy(out, 0, cookie, 0, 16);
        cookieSet = System.nanoTime();
        return true;
    }

    /** The receiver index a cookie reply is addressed to. */
    public static int replyReceiver(byte[] reply) {
        return Protocol.u32le(reply, Protocol.COOKIE_RECEIVER);
    }
}
