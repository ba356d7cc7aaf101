package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.netns.NetnsLab;
import io.weft.lab.overlay.Overlay;
import io.weft.lab.traffic.Transfer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 between a kernel VXLAN node and a userspace one, dual-stack: node 1 runs the kernel's {@code flannel.1} and
 * {@code flannel-v6.1} (made by hand with {@code ip link add ... type vxlan ... local <IPv6>}, as flannel's vxlan
 * backend makes them; weft's own kernel backend's IPv6 side is another branch's work and not used here), node 2 runs
 * weft's userspace datapath with both VTEPs. Pods talk ICMPv6, TCP over IPv6 (SHA-256 of the bytes compared) and UDP
 * over IPv6 both ways, full-MTU packets included, over the IPv6 underlay; IPv4 keeps working beside it.
 * Here on veths with their default offloads ({@link KernelInteropV6NicTest}: a NIC-like underlay), where the kernel
 * node hands over partial inner TCPv6 checksums and whole TCPv6 superframes, which weft finishes and cuts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class KernelInteropV6Test {
    static final long TCP_BYTES = 128L << 20;
    static final String V6 = "flannel-v6.1";
    Overlay o;

    boolean nicLike() {
        return false;
    }

    @BeforeAll
    void up() throws Exception {
        NetnsLab.requireRoot();
        o = new Overlay(nicLike() ? "w6n" : "w6u", 2, nicLike()).ipv6();
        o.kernelVtep(1, 2);
        o.kernelVtep6(1, 2);
        o.userspaceVtep(2, true, 1);
    }

    @AfterAll
    void down() {
        if (o != null) o.close();
    }

    @Test
    void pingBothWays() {
        assertTrue(o.ping6(1, 2, 3, 56), "kernel pod -> userspace pod over IPv6");
        assertTrue(o.ping6(2, 1, 3, 56), "userspace pod -> kernel pod over IPv6");
        assertTrue(o.ping(1, 2, 2, 56) && o.ping(2, 1, 2, 56), "IPv4 beside it");
    }

    @Test
    void fullMtuPacketsPassWithoutFragmenting() {
        // flannel-v6.1's MTU (underlay 1500 - 70 = 1430) - 40 IPv6 - 8 ICMPv6 = 1382 bytes of payload
        int full = o.overlayMtu6() - 48;
        assertTrue(o.ping6(1, 2, 2, full), "full-MTU kernel -> userspace");
        assertTrue(o.ping6(2, 1, 2, full), "full-MTU userspace -> kernel");
        assertFalse(o.ping6(1, 2, 1, full + 1), "one byte over flannel-v6.1's MTU must not pass (IPv6 never fragments on the way)");
    }

    @Test
    void tcpKernelToUserspace() throws Exception {
        tcp6(o, 1, 2, 5201);
        Overlay.sleep(400);
        String m = o.metrics(2);
        assertTrue(counter(m, "weft_userspace_rx_superframes_total", V6) > 0, "receive coalescing made TCPv6 superframes:\n" + m);
        long partial = counter(m, "weft_userspace_rx_partial_checksums_total", V6);
        // Over default veths the kernel node leaves its TCPv6 checksums partial (tcp_v6_send_check) and weft must
        // finish them; a NIC-like underlay completes them on the way (a complete one equals the pseudo-header sum by
        // chance, 1 in 65 536, see InnerChecksum).
        assertTrue(nicLike() ? partial < 50 : partial > 1000, "partial checksums received on " + V6 + ": " + partial);
        assertEquals(0, o.counter(2, V6, "weft_userspace_drops_total", Overlay.publicIpv6(1).toString(), "bad_checksum"));
    }

    @Test
    void tcpUserspaceToKernel() throws Exception {
        tcp6(o, 2, 1, 5202);
    }

    @Test
    void udpBothWays() throws Exception {
        udp6(o, 1, 2, 5301);
        udp6(o, 2, 1, 5302);
    }

    /** A counter of one device's series from a metrics text (summed over its peers). */
    static long counter(String metrics, String name, String device) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\{device=\"" + Pattern.quote(device) + "\"[^}]*} (\\d+)").matcher(metrics);
        long sum = 0;
        while (m.find()) sum += Long.parseLong(m.group(1));
        return sum;
    }

    /** TCP_BYTES from pod {@code from} to pod {@code to}'s IPv6 address; bytes and SHA-256 compared on both ends. */
    static void tcp6(Overlay o, int from, int to, int port) throws Exception {
        Transfer.tcp(o.pod(from), o.pod(to), Overlay.podIp6(to).toString(), port, TCP_BYTES, () -> "\n" + o.metrics(1) + o.metrics(2)
                + NetnsLab.run("ip", "netns", "exec", o.pod(to), "nstat", "-az", "TcpInCsumErrors", "Ip6InDiscards",
                "Ip6InTooBigErrors", "TcpRetransSegs").stdout());
    }

    static void udp6(Overlay o, int from, int to, int port) throws Exception {
        Transfer.Udp r = Transfer.udp(o.pod(from), o.pod(to), Overlay.podIp6(to).toString(), port, 2000, 1300);
        assertEquals(0, r.corrupted(), "corrupted UDP datagrams over IPv6");
        assertTrue(r.good() >= 1960, "UDP datagrams over IPv6 delivered " + from + " -> " + to + ": " + r.good() + "/2000");
    }
}
