package io.weft.agent.backend.wireguard.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.wireguard.crypto.ChaChaPoly;
import io.weft.agent.backend.wireguard.crypto.X25519;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Messages Debian's wireguard-go (0.0.20220316) exchanged with weft, recorded by {@link WireguardGoVectors} with fixed
 * static keys and a fixed responder ephemeral key: wireguard-go's initiation passes our MAC1 check and handshake,
 * our response is byte for byte what we sent it (and what it accepted), and the first transport message it sealed
 * with the resulting keys opens to the ping it carried.
 */
class WireguardGoVectorTest {
    static final String INITIATION = "010000000750a32827caa17cf93e672076408d424550300694714e39c98a53250d52b5f368702023b7942b"
            + "4b927c55103d62cef71d63e9c42a22cc50f738d500470c5edbaee11e4870c858beeae7d3784033e3d336ace59677d49ce5df452d39808"
            + "1e221ab0b23efd0bc1027ce8036f87563c5593b38d63d0d94f6a2bed792458c34b5e800000000000000000000000000000000";
    static final String RESPONSE = "020000000d0c0b0a0750a3287b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b1"
            + "495cf74e5a7cf75ab81c89c1f9aed14ea975ff2c96a9c900d3f0a162167af5ccb00000000000000000000000000000000";
    static final String TRANSPORT = "040000000d0c0b0a0000000000000000dae69582174ac20b5d538645c2d8565d88b0d75ad4222701f768b7d2b"
            + "7faf648abefc97e73836d906a6d8677f0ab356fbde68505bea432b57f93c2b068fb4e36f30b2c107d1577f4ec5931c2d98e0a80d7ad02"
            + "a79fee5b5a66a47d420cf0fa32152dadec801c155fe691fac30271b387";

    @Test
    void wireguardGosHandshakeAndFirstPacket() {
        HexFormat hex = HexFormat.of();
        NoiseTools t = new NoiseTools();
        LocalIdentity us = new LocalIdentity(WireguardGoVectors.OUR_PRIVATE);
        byte[] goPublic = new X25519().publicKey(WireguardGoVectors.GO_PRIVATE);
        byte[] init = hex.parseHex(INITIATION);

        assertTrue(new CookieChecker(t, us.publicKey).checkMac1(t, init), "wireguard-go's MAC1 for our key");
        Handshake hs = new Handshake(t, us, goPublic, null);
        Handshake.Consumed c = Handshake.consumeInitiation(t, us, init, k -> Arrays.equals(k, goPublic) ? hs : null, System.nanoTime());
        assertEquals(Handshake.Outcome.OK, c.outcome(), "its static key decrypts to its public key, its timestamp opens");

        byte[] resp = hs.createResponse(t, WireguardGoVectors.OUR_INDEX, WireguardGoVectors.OUR_EPHEMERAL.clone());
        new CookieGenerator(t, goPublic).addMacs(t, resp);
        assertEquals(RESPONSE, hex.formatHex(resp), "the response wireguard-go accepted, byte for byte");

        SessionKeys keys = hs.deriveSession(t);
        byte[] data = hex.parseHex(TRANSPORT);
        assertEquals(WireguardGoVectors.OUR_INDEX, Protocol.u32le(data, 4), "sent to our index");
        byte[] plain = new byte[data.length];
        int n = new ChaChaPoly().open(ChaChaPoly.key(keys.receiveKey(), 0), 0, null, 0, 0, data, 16, data.length - 16, plain, 0);
        assertEquals(84 + 12, n, "an 84-byte ping, padded to a multiple of 16");
        assertEquals(0x45, plain[0] & 0xff);
        assertEquals(84, ((plain[2] & 0xff) << 8) | (plain[3] & 0xff));
        assertEquals(1, plain[9], "ICMP");
        assertEquals("0a630001" + "0a630002", hex.formatHex(Arrays.copyOfRange(plain, 12, 20)), "10.99.0.1 -> 10.99.0.2");
        assertEquals(8, plain[20], "echo request");
    }
}
