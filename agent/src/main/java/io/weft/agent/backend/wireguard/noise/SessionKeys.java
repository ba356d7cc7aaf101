package io.weft.agent.backend.wireguard.noise;

/**
 * What a completed handshake yields: the two transport keys and the indices each side puts in the receiver field.
 *
 * @param initiator whether we initiated: the initiator may send at once, the responder only after the initiator's
 *                  first transport message confirmed the keys
 */
public record SessionKeys(byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex, boolean initiator) {
    /** Overwrites the key bytes once they are no longer needed. */
    public void wipe() {
        java.util.Arrays.fill(sendKey, (byte) 0);
        java.util.Arrays.fill(receiveKey, (byte) 0);
    }
}
