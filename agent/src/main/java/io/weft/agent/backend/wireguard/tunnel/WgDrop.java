package io.weft.agent.backend.wireguard.tunnel;

/** Why the userspace WireGuard device dropped a packet: the {@code reason} label of {@code weft_wireguard_drops_total}. */
public enum WgDrop {
    /** A handshake message whose MAC1 is wrong: not made for our public key (or damaged). */
    BAD_MAC("bad_mac"),
    /** A transport counter seen before or too far behind, or a handshake initiation not newer than the last one. */
    REPLAY("replay"),
    /** An initiation from a static key that is no current peer, or a message for an index we do not know. */
    UNKNOWN_PEER("unknown_peer"),
    /** A handshake or transport message that does not authenticate (wrong keys or PSK, damaged). */
    DECRYPT("decrypt"),
    /** Too short for its type, or of no known type. */
    RUNT("runt"),
    /** A decrypted packet whose source address is outside the sending peer's allowed IPs (its subnet). */
    NOT_ALLOWED("not_allowed_ip"),
    /** A packet from the TUN to an address no peer's subnet covers. */
    NO_ROUTE("no_route"),
    /** A packet from the TUN for a peer with no session, when the queue for the handshake was full or it gave up. */
    NO_SESSION("no_session"),
    /** A transport message for a session older than REJECT_AFTER_TIME (180 s). */
    EXPIRED("expired"),
    /** A handshake message refused under load: answered with a cookie, or the handshake queue was full. */
    UNDER_LOAD("under_load"),
    /** Writing a decrypted packet to the TUN failed. */
    TUN_WRITE("tun_write"),
    /** A packet from the TUN that could not be sent (socket error, malformed offload request). */
    TX_ERROR("tx_error");

    private final String label;

    WgDrop(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
