package io.weft.agent.backend.wireguard.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.wireguard.crypto.X25519;
import org.junit.jupiter.api.Test;

/** MAC1, the cookie reply and MAC2 between a sender's CookieGenerator and a receiver's CookieChecker. */
class CookieTest {
    private final NoiseTools t = new NoiseTools();
    private final LocalIdentity alice = new LocalIdentity(X25519.generatePrivate());
    private final LocalIdentity bob = new LocalIdentity(X25519.generatePrivate());
    private final byte[] fromAlice = {10, 0, 0, 1, (byte) 0xca, 0x6c};

    @Test
    void mac1ProvesTheSenderKnowsOurKey() {
        CookieGenerator toBob = new CookieGenerator(t, bob.publicKey());
        CookieChecker bobs = new CookieChecker(t, bob.publicKey());
        byte[] init = new Handshake(t, alice, bob.publicKey(), null).createInitiation(t, alice, 1);
        toBob.addMacs(t, init);
        assertTrue(bobs.checkMac1(t, init));
        byte[] tampered = init.clone();
        tampered[20] ^= 1;
        assertFalse(bobs.checkMac1(t, tampered));
        CookieChecker someoneElse = new CookieChecker(t, alice.publicKey());
        assertFalse(someoneElse.checkMac1(t, init), "MAC1 made for another key");
        assertFalse(bobs.checkMac2(t, init, fromAlice), "no cookie yet: MAC2 is zero");
    }

    @Test
    void underLoadTheCookieReplyLetsTheSenderAddAValidMac2ForItsAddressOnly() {
        CookieGenerator toBob = new CookieGenerator(t, bob.publicKey());
        CookieChecker bobs = new CookieChecker(t, bob.publicKey());
        Handshake h = new Handshake(t, alice, bob.publicKey(), null);
        byte[] init = h.createInitiation(t, alice, 0x01020304);
        toBob.addMacs(t, init);
        byte[] reply = bobs.createReply(t, init, Handshake.initiationSender(init), fromAlice);
        assertEquals(Protocol.COOKIE_REPLY_LENGTH, reply.length);
        assertEquals(0x01020304, CookieGenerator.replyReceiver(reply));
        byte[] forged = reply.clone();
        forged[40] ^= 1;
        assertFalse(toBob.consumeReply(t, forged));
        assertTrue(toBob.consumeReply(t, reply));

        byte[] again = h.createInitiation(t, alice, 0x05060708);
        toBob.addMacs(t, again);
        assertTrue(bobs.checkMac1(t, again));
        assertTrue(bobs.checkMac2(t, again, fromAlice));
        assertFalse(bobs.checkMac2(t, again, new byte[] {10, 0, 0, 2, (byte) 0xca, 0x6c}), "cookie bound to the address");
    }

    @Test
    void tai64nTimestampsOrderAsTime() throws Exception {
        byte[] a = Tai64n.now();
        Thread.sleep(20);
        byte[] b = Tai64n.now();
        assertTrue(Tai64n.after(b, a));
        assertFalse(Tai64n.after(a, b));
        assertFalse(Tai64n.after(a, a));
        assertEquals(0x40, a[0] & 0xff, "2^62 offset");
    }
}
