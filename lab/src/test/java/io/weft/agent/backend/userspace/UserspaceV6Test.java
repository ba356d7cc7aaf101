package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.overlay.Overlay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Two userspace nodes on an IPv6-only cluster: each runs {@code flannel-v6.1} alone (no {@code flannel.1}, no IPv4
 * socket on 8472), and pods talk ICMPv6, full-MTU packets and TCP over IPv6 (SHA-256 compared) both ways, TSO
 * superframes segmented on one side and coalesced on the other. On veths with their default offloads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class UserspaceV6Test {
    Overlay o;

    @BeforeAll
    void up() throws Exception {
        NetnsLab.requireRoot();
        o = new Overlay("w6s", 2).ipv6Only();
        o.userspaceVtep(1, true, 2);
        o.userspaceVtep(2, true, 1);
    }

    @AfterAll
    void down() {
        if (o != null) o.close();
    }

    @Test
    void onlyTheV6DeviceRuns() {
        for (int i = 1; i <= 2; i++) {
            IpReader r = new IpReader(Netns.named(o.node(i)));
            assertTrue(r.link("flannel-v6.1").isPresent(), "flannel-v6.1 on node " + i);
            assertFalse(r.link("flannel.1").isPresent(), "no flannel.1 on an IPv6-only node " + i);
            String udp = NetnsLab.exec(o.node(i), "ss", "-uanH", "sport", "= :8472");
            assertTrue(udp.contains("[::]:8472") || udp.contains("*:8472"), "an IPv6 socket on 8472:\n" + udp);
            assertFalse(udp.contains("0.0.0.0:8472"), "no IPv4 socket on 8472:\n" + udp);
            assertEquals("0", NetnsLab.exec(o.node(i), "cat", "/proc/sys/net/ipv6/conf/flannel-v6.1/accept_ra").strip(),
                    "the TAP refuses router advertisements, as flannel's newVXLANDevice (pkg/backend/vxlan/device.go) sets on its devices");
        }
    }

    @Test
    void pingAndFullMtuBothWays() {
        assertTrue(o.ping6(1, 2, 3, 56), "pod 1 -> pod 2 over IPv6");
        assertTrue(o.ping6(2, 1, 3, 56), "pod 2 -> pod 1 over IPv6");
        int full = o.overlayMtu6() - 48;
        assertTrue(o.ping6(1, 2, 2, full), "full-MTU 1 -> 2");
        assertTrue(o.ping6(2, 1, 2, full), "full-MTU 2 -> 1");
        assertFalse(o.ping6(1, 2, 1, full + 1), "one byte over flannel-v6.1's MTU must not pass");
    }

    @Test
    void tcpBothWays() throws Exception {
        KernelInteropV6Test.tcp6(o, 1, 2, 5211);
        KernelInteropV6Test.tcp6(o, 2, 1, 5212);
        Overlay.sleep(400);
        for (int i = 1; i <= 2; i++) {
            String m = o.metrics(i);
            assertTrue(KernelInteropV6Test.counter(m, "weft_userspace_rx_superframes_total", "flannel-v6.1") > 0,
                    "node " + i + " coalesced TCPv6 segments:\n" + m);
        }
    }
}
