package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.traffic.Transfer;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The paths a kernel without UDP GSO and UDP_GRO (both 4.18/5.0) gets: TSO superframes still come from the TAP
 * and are segmented in Java, but each segment leaves as its own datagram (sendmmsg batches), and datagrams are
 * received one per slot with recvmmsg. A kernel VXLAN node must exchange the same bytes as with GSO and GRO: a
 * TCP stream both ways with its SHA-256 compared, and full-MTU pings.
 */
@Timeout(240)
class GsoFallbackTest {
    static final long BYTES = 64L << 20;

    @Test
    void segmentsSentOneDatagramEachReachAKernelNodeIntact() throws Exception {
        try (Overlay o = new Overlay("wgf", 2)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, true, List.of("--no-gso", "--no-udp-gro"), 1);
            String ready = Files.readString(o.log(2)).lines().filter(l -> l.startsWith("READY")).findFirst().orElseThrow();
            assertTrue(ready.contains("udp-gso=off") && ready.contains("tap-offload=csum,tso4") && ready.contains("rx=recvmmsg"),
                    "TSO from the TAP on, UDP GSO and UDP_GRO off: " + ready);
            assertTrue(o.ping(2, 1, 2, 1422), "full-MTU userspace -> kernel");
            tcp(o, 2, 1, 5401);
            tcp(o, 1, 2, 5402);
        }
    }

    static void tcp(Overlay o, int from, int to, int port) throws Exception {
        Transfer.tcp(o.pod(from), o.pod(to), Overlay.podIp(to).toString(), port, BYTES);
    }
}
