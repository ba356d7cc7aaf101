package io.weft.agent.backend.wireguard.crypto;

import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.hex;
import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.range;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Blake2sTest {

    @Test
    void rfc7693AppendixBAbc() {
        byte[] d = new Blake2s().init().update("abc".getBytes(StandardCharsets.US_ASCII)).digest();
        assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", hex(d));
    }

    /** RFC 7693 Appendix E: the hash of 48 hashes over every digest length, input length and keying. */
    @Test
    void rfc7693AppendixESelfTest() {
        int[] mdLen = {16, 20, 28, 32};
        int[] inLen = {0, 3, 64, 65, 255, 1024};
        Blake2s grand = new Blake2s().init();
        Blake2s h = new Blake2s();
        for (int outlen : mdLen) {
            for (int inlen : inLen) {
                byte[] in = seq(inlen, inlen);
                byte[] md = h.init(outlen, null, 0).update(in).digest();
                grand.update(md);
                byte[] key = seq(outlen, outlen);
                md = h.init(outlen, key, outlen).update(in).digest();
                grand.update(md);
            }
        }
        assertEquals("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", hex(grand.digest()));
    }

    /** Vectors from CPython's hashlib.blake2s (the reference C code): keyed, empty, multi-block, split updates. */
    @Test
    void keyedAndMultiBlockAgreeWithTheReferenceImplementation() {
        byte[] key = range(0, 32);
        assertEquals("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
                hex(new Blake2s().init(32, key, 32).digest()));
        assertEquals("f1efa90d2547036841ecd3627fafbc36", hex(new Blake2s().init(16, key, 32).update(range(0, 64)).digest()));
        byte[] in = range(0, 200);
        Blake2s h = new Blake2s().init();
        for (int off = 0; off < in.length; off += 7) h.update(in, off, Math.min(7, in.length - off));
        assertEquals("6d244e1a06ce4ef578dd0f63aff0936706735119ca9c8d22d86c801414ab9741", hex(h.digest()));
    }

    private static byte[] seq(int len, int seed) {
        byte[] out = new byte[len];
        int a = 0xDEAD4BAD * seed;
        int b = 1;
        for (int i = 0; i < len; i++) {
            int t = a + b;
            a = b;
            b = t;
            out[i] = (byte) (t >>> 24);
        }
        return out;
    }
}
