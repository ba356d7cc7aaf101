package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.unix.Errors;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The feature probe's answers and causes: the errno of a failure comes from Netty's exception (through any wrapping),
 * never from its message, and only the errors that mean "no UDP GSO here" turn GSO off.
 */
class DatapathFeaturesTest {
    @org.junit.jupiter.api.BeforeAll
    static void nativeTransport() {
        io.netty.channel.epoll.Epoll.ensureAvailability(); // loads the library Netty's exceptions need
    }

    @Test
    void errnoComesFromTheNativeExceptionWhereverItIsWrapped() {
        Errors.NativeIoException einval = new Errors.NativeIoException("sendmsg", -22);
        assertEquals(22, DatapathFeatures.errno(einval));
        assertEquals(22, DatapathFeatures.errno(new RuntimeException(new IOException("send failed", einval))));
        assertEquals(0, DatapathFeatures.errno(new IOException("Invalid argument"))); // a message is no errno
    }

    @Test
    void aGsoSendRefusedWithEinvalOrEioTurnsGsoOffWithItsCause() {
        for (int errno : new int[] {22, 5}) {
            DatapathFeatures f = new DatapathFeatures();
            f.probeUdpGso(true, true);
            if (!f.udpGso()) continue; // a kernel without UDP_SEGMENT: nothing to turn off
            assertTrue(f.udpGsoSendFailed(new Errors.NativeIoException("sendmsg", -errno)));
            assertFalse(f.udpGso());
            assertTrue(f.summary().contains("udp-gso=off (sendmmsg; a GSO send failed: "), f.summary());
            assertTrue(f.summary().contains("(errno " + errno + ")"), f.summary());
        }
        DatapathFeatures f = new DatapathFeatures();
        f.probeUdpGso(true, true);
        boolean was = f.udpGso();
        assertFalse(f.udpGsoSendFailed(new Errors.NativeIoException("sendmsg", -105)), "ENOBUFS is no reason to drop GSO");
        assertEquals(was, f.udpGso());
    }

    @Test
    void everyFeatureThatIsOffSaysWhy() {
        DatapathFeatures f = new DatapathFeatures();
        f.probeUdpGso(false, true);
        f.probeUdpGro(false, false, -1);
        f.probeRxCoalesce(null, false, false);
        f.sizes(8, 1);
        assertEquals("tap-offload=off rx-coalesce=off udp-gso=off (sendmmsg; WEFT_USERSPACE_GSO=0)"
                + " rx=recvmmsg (udp-gro off: WEFT_USERSPACE_UDP_GRO=0) tx-sockets=8 loops=1", f.summary());
        f.probeUdpGso(true, false);
        assertTrue(f.summary().contains("udp-gso=off (sendmmsg; no TSO superframes from the TAP)"), f.summary());
    }
}
