package io.weft.agent.backend.wireguard.crypto;

import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class X25519Test {

    /** RFC 7748 §6.1: Alice and Bob. */
    @Test
    void rfc7748DiffieHellman() {
        X25519 x = new X25519();
        byte[] a = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] b = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", hex(x.publicKey(a)));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", hex(x.publicKey(b)));
        byte[] shared = x.sharedSecret(a, x.publicKey(b));
        assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", hex(shared));
        assertArrayEquals(shared, x.sharedSecret(b, x.publicKey(a)));
    }

    /** RFC 7748 §5.2's first vector: the input u has its top bit set, which must be ignored. */
    @Test
    void rfc7748ScalarMultTopBitOfU() {
        byte[] k = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        byte[] u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", hex(new X25519().sharedSecret(k, u)));
    }

    @Test
    void aSmallOrderPublicKeyGivesNoSecret() {
        assertNull(new X25519().sharedSecret(X25519.generatePrivate(), new byte[32]));
    }
}
