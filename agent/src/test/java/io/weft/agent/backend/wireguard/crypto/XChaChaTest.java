package io.weft.agent.backend.wireguard.crypto;

import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.hex;
import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** HChaCha20 and XChaCha20-Poly1305 against draft-irtf-cfrg-xchacha-03's test vectors (§2.2.1, §A.3.1). */
class XChaChaTest {

    @Test
    void hchacha20Subkey() {
        byte[] out = new byte[32];
        HChaCha20.subkey(range(0, 32), 0, hex("000000090000004a0000000031415927"), 0, out, 0);
        assertEquals("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc", hex(out));
    }

    @Test
    void xchacha20Poly1305Sunscreen() {
        byte[] key = range(0x80, 0xa0);
        byte[] nonce = range(0x40, 0x58);
        byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        byte[] pt = ChaChaPolyTest.SUNSCREEN;
        byte[] out = new byte[pt.length + 16];
        new XChaChaPoly().seal(key, nonce, aad, pt, 0, pt.length, out, 0);
        assertEquals("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c2"
                + "16cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c6"
                + "8b13b52e" + "c0875924c1c7987947deafd8780acf49", hex(out));
        byte[] back = new byte[pt.length];
        assertEquals(pt.length, new XChaChaPoly().open(key, nonce, 0, aad, out, 0, out.length, back, 0));
        assertArrayEquals(pt, back);
    }
}
