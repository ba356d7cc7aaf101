package io.weft.agent.backend.wireguard.crypto;

import static io.weft.agent.backend.wireguard.crypto.CryptoVectors.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Poly1305Test {

    /** RFC 8439 §2.5.2 and the carry and modulus edge cases of Appendix A.3 (#5 to #9). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "rfc 2.5.2, 85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b, "
                + "43727970746f6772617068696320466f72756d2052657365617263682047726f7570, a8061dc1305136c6c22b8baf0c0127a9",
        "A.3 #5 h wraps, 0200000000000000000000000000000000000000000000000000000000000000, "
                + "ffffffffffffffffffffffffffffffff, 03000000000000000000000000000000",
        "A.3 #6 s wraps, 02000000000000000000000000000000ffffffffffffffffffffffffffffffff, "
                + "02000000000000000000000000000000, 03000000000000000000000000000000",
        "A.3 #7 carry, 0100000000000000000000000000000000000000000000000000000000000000, "
                + "fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000, "
                + "05000000000000000000000000000000",
        "A.3 #8 h = p, 0100000000000000000000000000000000000000000000000000000000000000, "
                + "fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe01010101010101010101010101010101, "
                + "00000000000000000000000000000000",
        "A.3 #9 h = p - 1 + 5, 0200000000000000000000000000000000000000000000000000000000000000, "
                + "fdffffffffffffffffffffffffffffff, faffffffffffffffffffffffffffffff",
    })
    void vectors(String name, String key, String msg, String tag) {
        Poly1305 p = new Poly1305();
        p.init(hex(key), 0);
        byte[] m = hex(msg);
        p.update(m, 0, m.length);
        byte[] out = new byte[16];
        p.finish(out, 0);
        assertEquals(tag, hex(out));
        // the same message fed one byte at a time
        p.init(hex(key), 0);
        for (int i = 0; i < m.length; i++) p.update(m, i, 1);
        p.finish(out, 0);
        assertEquals(tag, hex(out), "byte-wise updates");
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
