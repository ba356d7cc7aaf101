package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 9000-byte underlay (jumbo frames) leaves an 8950-byte overlay: full-size packets must pass between a kernel
 * node and userspace nodes both with UDP_GRO (64 KiB receive slots) and without it (slots sized from the MTU,
 * not the 1500-byte default), and one byte more must not.
 */
@Timeout(240)
class JumboUnderlayTest {
    static final int PAYLOAD = 8950 - 28; // ICMP payload of a full 8950-byte IPv4 packet

    @Test
    void fullSizeJumboPacketsPassWithAndWithoutUdpGro() throws Exception {
        try (Overlay o = new Overlay("wjum", 3).underlayMtu(9000)) {
            o.kernelVtep(1, 2, 3);
            o.userspaceVtep(2, true, 1);
            o.userspaceVtep(3, true, List.of("--no-udp-gro"), 1);
            for (int j : new int[] {2, 3}) {
                assertTrue(o.ping(1, j, 2, PAYLOAD), "full-size kernel -> userspace node " + j);
                assertTrue(o.ping(j, 1, 2, PAYLOAD), "full-size userspace node " + j + " -> kernel");
                assertFalse(o.ping(1, j, 1, PAYLOAD + 1), "one byte over the overlay MTU must not pass with DF");
            }
            GsoFallbackTest.tcp(o, 1, 3, 5421);
            GsoFallbackTest.tcp(o, 3, 1, 5422);
        }
    }
}
