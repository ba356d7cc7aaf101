package io.weft.agent.backend.wireguard.crypto;

import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.hex;
import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ChaChaPolyTest {
    static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
            + "future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);

    /** RFC 8439 §2.8.2's inputs with WireGuard's nonce form (zero prefix, counter 0x4746454443424140), checked by Python's cryptography. */
    @Test
    void sunscreenVector() {
        ChaChaPoly aead = new ChaChaPoly();
        byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        long counter = 0x4746454443424140L;
        byte[] out = new byte[SUNSCREEN.length + 16];
        int n = aead.seal(ChaChaPoly.key(range(0x80, 0xa0), 0), counter, aad, 0, aad.length, SUNSCREEN, 0, SUNSCREEN.length, out, 0);
        assertEquals(SUNSCREEN.length + 16, n);
        assertEquals("a479cb54628946d6f4042a8e384ef4bd2fbc7330b8be55eb2d8dc18aaa51d66a8ec1f8d3619a258db0ac56956015b7b4937e9b8e6aa957b3"
                + "dc0214d803d77660aabc913092971da8f207171ce7843608162e2e759d8efc25d8d0936990af63c820ba87e8a955b5c8274ef7d10f6fa"
                + "fd046472dbf189b668bd430aef9147e99cb6c89", hex(out));
        byte[] back = new byte[SUNSCREEN.length];
        assertEquals(SUNSCREEN.length, aead.open(ChaChaPoly.key(range(0x80, 0xa0), 0), counter, aad, 0, aad.length, out, 0, n, back, 0));
        assertArrayEquals(SUNSCREEN, back);
    }

    /** Every length from 0 to 300 and some packet sizes, in place, against the JDK's own ChaCha20-Poly1305. */
    @Test
    void agreesWithTheJdkAeadForManyLengths() throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        ChaChaPoly aead = new ChaChaPoly();
        Cipher jdk = Cipher.getInstance("ChaCha20-Poly1305");
        int[] extra = {1420, 1424, 1500, 8192, 65519};
        for (int i = 0; i < 301 + extra.length; i++) {
            int len = i < 301 ? i : extra[i - 301];
            byte[] key = new byte[32];
            byte[] pt = new byte[len];
            byte[] aad = new byte[i % 3 == 0 ? 0 : rnd.nextInt(40)];
            rnd.nextBytes(key);
            rnd.nextBytes(pt);
            rnd.nextBytes(aad);
            long counter = rnd.nextLong();
            byte[] nonce = new byte[12];
            Poly1305.le64(nonce, 4, counter);
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            jdk.updateAAD(aad);
            byte[] expected = jdk.doFinal(pt);
            byte[] buf = Arrays.copyOf(pt, len + 16);
            aead.seal(ChaChaPoly.key(key, 0), counter, aad, 0, aad.length, buf, 0, len, buf, 0);
            assertArrayEquals(expected, buf, "length " + len);
            assertEquals(len, aead.open(ChaChaPoly.key(key, 0), counter, aad, 0, aad.length, buf, 0, len + 16, buf, 0));
            assertArrayEquals(pt, Arrays.copyOf(buf, len));
        }
    }

    @Test
    void aTamperedCiphertextTagOrCounterIsRefusedAndNothingIsWritten() {
        ChaChaPoly aead = new ChaChaPoly();
        SecretKeySpec key = ChaChaPoly.key(range(0, 32), 0);
        byte[] sealed = new byte[SUNSCREEN.length + 16];
        aead.seal(key, 5, null, 0, 0, SUNSCREEN, 0, SUNSCREEN.length, sealed, 0);
        for (int flip : new int[] {0, 50, SUNSCREEN.length - 1, SUNSCREEN.length, sealed.length - 1}) {
            byte[] t = sealed.clone();
            t[flip] ^= 1;
            byte[] out = new byte[SUNSCREEN.length];
            assertEquals(-1, aead.open(key, 5, null, 0, 0, t, 0, t.length, out, 0), "flipped byte " + flip);
            assertArrayEquals(new byte[SUNSCREEN.length], out);
        }
        assertEquals(-1, aead.open(key, 6, null, 0, 0, sealed, 0, sealed.length, new byte[SUNSCREEN.length], 0));
        assertEquals(-1, aead.open(key, 5, null, 0, 0, sealed, 0, 15, new byte[16], 0), "shorter than a tag");
    }
}
