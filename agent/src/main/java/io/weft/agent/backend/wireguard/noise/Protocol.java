package io.weft.agent.backend.wireguard.noise;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * WireGuard's wire constants (the message layouts of the whitepaper, §5.4) and its timer and counter limits (§6.1):
 * what must match the kernel's and wireguard-go's values for the two to interoperate and rekey alike.
 */
public final class Protocol {
    private Protocol() {}

    static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    public static final int TYPE_INITIATION = 1;
    public static final int TYPE_RESPONSE = 2;
    public static final int TYPE_COOKIE_REPLY = 3;
    public static final int TYPE_TRANSPORT = 4;

    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    public static final int MAC_LENGTH = 16;
    public static final int TIMESTAMP_LENGTH = 12;

    /** type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16) mac1(16) mac2(16). */
    public static final int INITIATION_LENGTH = 148;
    static final int INIT_SENDER = 4;
    static final int INIT_EPHEMERAL = 8;
    static final int INIT_STATIC = 40;
    static final int INIT_TIMESTAMP = 88;
    /** type(4) sender(4) receiver(4) ephemeral(32) empty(0+16) mac1(16) mac2(16). */
    public static final int RESPONSE_LENGTH = 92;
    static final int RESP_SENDER = 4;
    static final int RESP_RECEIVER = 8;
    static final int RESP_EPHEMERAL = 12;
    static final int RESP_EMPTY = 44;
    /** type(4) receiver(4) nonce(24) cookie(16+16). */
    public static final int COOKIE_REPLY_LENGTH = 64;
    static final int COOKIE_RECEIVER = 4;
    static final int COOKIE_NONCE = 8;
    static final int COOKIE_SEALED = 32;
    /** type(4) receiver(4) counter(8), then the sealed packet. */
    public static final int TRANSPORT_HEADER_LENGTH = 16;
    /** A keepalive: a transport message with an empty packet (header and tag only). */
    public static final int KEEPALIVE_LENGTH = TRANSPORT_HEADER_LENGTH + TAG_LENGTH;
    /** Transport overhead beyond the padded packet: header + tag. */
    public static final int TRANSPORT_OVERHEAD = TRANSPORT_HEADER_LENGTH + TAG_LENGTH;
    /** Plaintext packets are zero-padded to a multiple of this (up to the MTU) so lengths leak less. */
    public static final int PADDING_MULTIPLE = 16;

    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** 2^64 - 2^13 - 1, compared unsigned: the last counter a session may use. */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    public static final long REKEY_AFTER_TIME = TimeUnit.SECONDS.toNanos(120);
    public static final long REKEY_ATTEMPT_TIME = TimeUnit.SECONDS.toNanos(90);
    public static final long REKEY_TIMEOUT = TimeUnit.SECONDS.toNanos(5);
    public static final int REKEY_TIMEOUT_JITTER_MAX_MS = 334;
    public static final int MAX_TIMER_HANDSHAKES = 90 / 5;
    public static final long REJECT_AFTER_TIME = TimeUnit.SECONDS.toNanos(180);
    public static final long KEEPALIVE_TIMEOUT = TimeUnit.SECONDS.toNanos(10);
    public static final long COOKIE_REFRESH_TIME = TimeUnit.SECONDS.toNanos(120);
    /** Initiations from one peer closer together than this are dropped as a flood. */
    public static final long HANDSHAKE_INITIATION_RATE = TimeUnit.MILLISECONDS.toNanos(20);

    static int u32le(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    static void u32le(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** The message type of a datagram: its first byte, with the three reserved bytes required to be zero; else -1. */
    public static int type(byte[] b, int off, int len) {
        if (len < 4 || b[off + 1] != 0 || b[off + 2] != 0 || b[off + 3] != 0) return -1;
        return b[off] & 0xff;
    }
}
