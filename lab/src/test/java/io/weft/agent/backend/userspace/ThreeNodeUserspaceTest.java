package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.traffic.Transfer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three userspace nodes, full mesh: every pod reaches every other pod, small and full-MTU packets. */
@Timeout(180)
class ThreeNodeUserspaceTest {
    @Test
    void allPodPairsTalk() throws Exception {
        try (Overlay o = new Overlay("w3u", 3)) {
            o.userspaceVtep(1, true, 2, 3);
            o.userspaceVtep(2, true, 1, 3);
            o.userspaceVtep(3, false, 1, 2); // one node without offloads: mixed peers must interoperate
            for (int i = 1; i <= 3; i++) {
                for (int j = 1; j <= 3; j++) {
                    if (i == j) continue;
                    assertTrue(o.ping(i, j, 2, 56), "pod " + i + " -> pod " + j);
                    assertTrue(o.ping(i, j, 1, 1422), "full-MTU pod " + i + " -> pod " + j);
                }
            }
            // and a TCP stream across the mesh, through the offload and no-offload nodes
            Transfer.tcp(o.pod(1), o.pod(3), Overlay.podIp(3).toString(), 5401, 32L << 20);
        }
    }
}
