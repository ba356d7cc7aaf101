package io.weft.agent.backend.wireguard.noise;

import io.weft.agent.backend.wireguard.crypto.X25519;

/** This node's static key pair. The private key never leaves this object except into the DH computations. */
public final class LocalIdentity {
    final byte[] privateKey;
    final byte[] publicKey;

    public LocalIdentity(byte[] privateKey) {
        if (privateKey.length != Protocol.KEY_LENGTH) throw new IllegalArgumentException("a private key has 32 bytes");
        this.privateKey = privateKey.clone();
        X25519.clamp(this.privateKey);
        this.publicKey = new X25519().publicKey(this.privateKey);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }
}
