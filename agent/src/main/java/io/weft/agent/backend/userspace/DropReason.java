package io.weft.agent.backend.userspace;

/** Why the datapath dropped a packet; the label value on {@code weft_userspace_drops_total}. */
public enum DropReason {
    /** Received from an address that is no known peer's PublicIP (the kernel device would accept it). */
    UNKNOWN_SOURCE("unknown_source"),
    /** VXLAN flags other than exactly 0x08 with reserved bits zero. */
    BAD_FLAGS("bad_flags"),
    WRONG_VNI("wrong_vni"),
    /** Shorter than a VXLAN header plus an Ethernet header. */
    RUNT("runt"),
    /** Inner frame longer than the overlay MTU allows. */
    OVERSIZE("oversize"),
    /** Inner destination MAC is neither our VtepMAC nor broadcast/multicast. */
    NOT_OUR_MAC("not_our_mac"),
    /**
     * The inner TCP or UDP checksum is wrong, and not a partial one left for a device to finish (see
     * {@code InnerChecksum}): the pod's kernel would drop it too.
     */
    BAD_CHECKSUM("bad_checksum"),
    /** Writing the decapsulated frame to the TAP failed. */
    TAP_WRITE("tap_write"),
    /** A frame from the TAP whose destination MAC has no FDB entry (no peer with that VtepMAC). */
    NO_FDB("no_fdb"),
    /** A frame from the TAP that could not be sent (socket error, malformed offload request). */
    TX_ERROR("tx_error");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
