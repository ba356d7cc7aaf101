package io.weft.agent.backend.wireguard.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.backend.wireguard.crypto.X25519;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Both sides of IKpsk2 in memory: keys agree, and every refusal is the one WireGuard makes. */
class HandshakeTest {
    private final NoiseTools t = new NoiseTools();
    private final LocalIdentity alice = new LocalIdentity(X25519.generatePrivate());
    private final LocalIdentity bob = new LocalIdentity(X25519.generatePrivate());
    private final byte[] psk = new byte[32];

    {
        Arrays.fill(psk, (byte) 7);
    }

    @Test
    void aFullHandshakeGivesMatchingTransportKeys() {
        Handshake a = new Handshake(t, alice, bob.publicKey(), psk);
        Handshake bobsViewOfAlice = new Handshake(t, bob, alice.publicKey(), psk);
        byte[] init = a.createInitiation(t, alice, 0x11111111);
        assertEquals(Protocol.INITIATION_LENGTH, init.length);
        assertEquals(0x11111111, Handshake.initiationSender(init));

        Handshake.Consumed c = Handshake.consumeInitiation(t, bob, init, k -> Arrays.equals(k, alice.publicKey()) ? bobsViewOfAlice : null, System.nanoTime());
        assertEquals(Handshake.Outcome.OK, c.outcome());
        byte[] resp = c.handshake().createResponse(t, 0x22222222);
        assertEquals(Protocol.RESPONSE_LENGTH, resp.length);
        assertEquals(0x11111111, Handshake.responseReceiver(resp));
        assertEquals(Handshake.Outcome.OK, a.consumeResponse(t, alice, resp));

        SessionKeys ka = a.deriveSession(t);
        SessionKeys kb = bobsViewOfAlice.deriveSession(t);
        assertTrue(ka.initiator());
        assertFalse(kb.initiator());
        assertArrayEquals(ka.sendKey(), kb.receiveKey());
        assertArrayEquals(ka.receiveKey(), kb.sendKey());
        assertFalse(Arrays.equals(ka.sendKey(), ka.receiveKey()));
        assertEquals(0x22222222, ka.remoteIndex());
        assertEquals(0x11111111, kb.remoteIndex());
        assertEquals(Handshake.State.ZEROED, a.state());
    }

    @Test
    void aPskMismatchFailsAtTheInitiatorWithNoKeys() {
        Handshake a = new Handshake(t, alice, bob.publicKey(), psk);
        Handshake b = new Handshake(t, bob, alice.publicKey(), null);
        byte[] init = a.createInitiation(t, alice, 1);
        assertEquals(Handshake.Outcome.OK, Handshake.consumeInitiation(t, bob, init, k -> b, System.nanoTime()).outcome());
        byte[] resp = b.createResponse(t, 2);
        assertEquals(Handshake.Outcome.DECRYPT, a.consumeResponse(t, alice, resp));
        assertEquals(Handshake.State.INITIATION_CREATED, a.state(), "a refused response changes nothing");
        assertNull(a.deriveSession(t));
    }

    @Test
    void aReplayedInitiationIsRefused() throws Exception {
        Handshake a = new Handshake(t, alice, bob.publicKey(), null);
        Handshake b = new Handshake(t, bob, alice.publicKey(), null);
        byte[] init = a.createInitiation(t, alice, 1);
        assertEquals(Handshake.Outcome.OK, Handshake.consumeInitiation(t, bob, init, k -> b, System.nanoTime()).outcome());
        assertEquals(Handshake.Outcome.REPLAY, Handshake.consumeInitiation(t, bob, init, k -> b, System.nanoTime()).outcome());
        Thread.sleep(40); // past the TAI64N granularity (~16.8 ms) and the flood limit (20 ms)
        byte[] newer = a.createInitiation(t, alice, 3);
        assertEquals(Handshake.Outcome.OK, Handshake.consumeInitiation(t, bob, newer, k -> b, System.nanoTime()).outcome());
    }

    @Test
    void initiationsCloserThanTwentyMillisecondsAreAFlood() throws Exception {
        Handshake a = new Handshake(t, alice, bob.publicKey(), null);
        Handshake b = new Handshake(t, bob, alice.publicKey(), null);
        byte[] first = a.createInitiation(t, alice, 1);
        Thread.sleep(40); // a newer TAI64N value for the second
        byte[] second = a.createInitiation(t, alice, 2);
        long now = System.nanoTime();
        assertEquals(Handshake.Outcome.OK, Handshake.consumeInitiation(t, bob, first, k -> b, now).outcome());
        assertEquals(Handshake.Outcome.FLOOD, Handshake.consumeInitiation(t, bob, second, k -> b, now + 19_000_000).outcome());
        assertEquals(Handshake.Outcome.OK, Handshake.consumeInitiation(t, bob, second, k -> b, now + 21_000_000).outcome());
    }

    @Test
    void anUnknownPeerAndATamperedInitiationAreRefused() {
        Handshake a = new Handshake(t, alice, bob.publicKey(), null);
        byte[] init = a.createInitiation(t, alice, 1);
        assertEquals(Handshake.Outcome.UNKNOWN_PEER, Handshake.consumeInitiation(t, bob, init, k -> null, System.nanoTime()).outcome());
        Handshake b = new Handshake(t, bob, alice.publicKey(), null);
        for (int at : new int[] {Protocol.INIT_EPHEMERAL, Protocol.INIT_STATIC + 3, Protocol.INIT_TIMESTAMP + 20}) {
            byte[] bad = init.clone();
            bad[at] ^= 0x40;
            Handshake.Outcome o = Handshake.consumeInitiation(t, bob, bad, k -> b, System.nanoTime()).outcome();
            assertTrue(o == Handshake.Outcome.DECRYPT || o == Handshake.Outcome.BAD_KEY, "byte " + at + ": " + o);
        }
        assertEquals(Handshake.State.ZEROED, b.state());
    }

    @Test
    void aResponseIsOnlyTakenOnceAndOnlyAfterAnInitiation() {
        Handshake a = new Handshake(t, alice, bob.publicKey(), null);
        Handshake b = new Handshake(t, bob, alice.publicKey(), null);
        assertNull(b.createResponse(t, 5), "no response without an initiation");
        byte[] init = a.createInitiation(t, alice, 1);
        Handshake.consumeInitiation(t, bob, init, k -> b, System.nanoTime());
        byte[] resp = b.createResponse(t, 2);
        assertEquals(Handshake.Outcome.OK, a.consumeResponse(t, alice, resp));
        assertEquals(Handshake.Outcome.STATE, a.consumeResponse(t, alice, resp));
        assertNotNull(a.deriveSession(t));
    }
}
