package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.overlay.Overlay;
import io.weft.lab.pcap.PcapLib;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * weft's VXLAN datagrams are byte-compatible with the kernel's: the same pod-to-pod ping is captured on the
 * underlay bridge (tcpdump in the underlay namespace, read back with pcap4j); the requests were wrapped by
 * node 1's kernel VXLAN device, the replies by node 2's userspace datapath, and their outer headers are compared
 * field by field.
 */
@Timeout(120)
class WireCompatTest {
    static {
        PcapLib.configure();
    }

    record Outer(int ipHeader, int dfFlag, int ttl, int proto, int srcPort, int dstPort, int udpLen, int ipLen,
                 int udpChecksum, long vxlanWord1, long vxlanWord2, int innerLen, int innerIpLen, long innerDst,
                 int innerIcmpType) {}

    @Test
    void userspaceDatagramsMatchTheKernels() throws Exception {
        // On the NIC-like underlay: the bytes a wire carries. Over a veth with its default offloads the outer UDP
        // checksums of both sides are still partial (left to a device) where tcpdump sees them.
        try (Overlay o = new Overlay("wwc", 2, true)) {
            o.kernelVtep(1, 2);
            o.userspaceVtep(2, false, 1); // no offload: one datagram per send, like the kernel device
            Path pcap = Files.createTempFile("weft-wire", ".pcap");
            try {
                Process dump = new ProcessBuilder("ip", "netns", "exec", o.lab.underlay(), "tcpdump", "-i", "br0",
                        "-U", "-w", pcap.toString(), "udp port 8472").redirectErrorStream(true).start();
                Overlay.await(dump, "tcpdump: listening", 20);
                Overlay.sleep(200);
                assertTrue(o.ping(1, 2, 4, 200), "ping through the overlay");
                Overlay.sleep(300);
                dump.destroy();
                dump.waitFor();
                List<Outer> fromKernel = new ArrayList<>();
                List<Outer> fromWeft = new ArrayList<>();
                try (PcapHandle h = Pcaps.openOffline(pcap.toString())) {
                    byte[] b;
                    while ((b = nextRaw(h)) != null) {
                        Outer x = parse(ByteBuffer.wrap(b));
                        if (x != null) assertTrue(udpChecksumOk(b), "UDP checksum of a captured datagram is valid");
                        if (x == null) continue;
                        if (x.innerIcmpType() == 8) fromKernel.add(x);
                        if (x.innerIcmpType() == 0) fromWeft.add(x);
                    }
                }
                assertEquals(4, fromKernel.size(), "echo requests (kernel VXLAN) captured");
                assertEquals(4, fromWeft.size(), "echo replies (weft VXLAN) captured");
                Outer k = fromKernel.getFirst();
                for (Outer w : fromWeft) {
                    assertEquals(k.ipHeader(), w.ipHeader(), "outer IPv4 version/IHL");
                    assertEquals(k.ttl(), w.ttl(), "outer TTL");
                    assertEquals(k.dfFlag(), w.dfFlag(), "outer DF bit");
                    assertEquals(17, w.proto());
                    assertEquals(8472, w.dstPort(), "destination port");
                    assertTrue(w.srcPort() >= 32768 && w.srcPort() < 61000, "source port in the kernel's range: " + w.srcPort());
                    assertEquals(w.ipLen() - 20, w.udpLen(), "UDP length");
                    assertEquals(k.udpChecksum() == 0, w.udpChecksum() == 0, "UDP checksum used like the kernel's (udpcsum)");
                    assertEquals(k.vxlanWord1(), w.vxlanWord1(), "VXLAN flags word 08 00 00 00");
                    assertEquals(k.vxlanWord2(), w.vxlanWord2(), "VNI<<8 with a zero reserved byte");
                    assertEquals(w.innerIpLen() + 14, w.innerLen(), "inner frame carries no FCS nor padding");
                    assertEquals(Overlay.mac(1).value(), w.innerDst(), "inner destination = peer VtepMAC");
                }
                assertEquals(0x08000000L, k.vxlanWord1());
                assertEquals(0x100L, k.vxlanWord2());
                Set<Integer> weftPorts = new HashSet<>();
                fromWeft.forEach(w -> weftPorts.add(w.srcPort()));
                assertEquals(1, weftPorts.size(), "one inner flow, one outer source port: " + weftPorts);
            } finally {
                Files.deleteIfExists(pcap);
            }
        }
    }

    /** A zero checksum (none) or one that verifies over the pseudo-header and datagram. */
    static boolean udpChecksumOk(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        int ip = 14;
        int ihl = (b[ip] & 0x0f) * 4;
        int udp = ip + ihl;
        int len = bb.getShort(udp + 4) & 0xffff;
        if (bb.getShort(udp + 6) == 0) return true;
        long s = 17 + len;
        for (int i = 12; i < 20; i += 2) s += bb.getShort(ip + i) & 0xffff;
        for (int i = 0; i < len; i += 2) s += i + 1 < len ? bb.getShort(udp + i) & 0xffff : (b[udp + i] & 0xff) << 8;
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return s == 0xffff;
    }

    static byte[] nextRaw(PcapHandle h) throws Exception {
        try {
            return h.getNextRawPacketEx();
        } catch (java.io.EOFException e) {
            return null;
        }
    }

    /** Ethernet / IPv4 / UDP / VXLAN / inner Ethernet / IPv4 / ICMP, or null for anything else. */
    static Outer parse(ByteBuffer b) {
        if (b.remaining() < 14 + 20 + 8 + 8 + 14 + 20 + 1 || (b.getShort(12) & 0xffff) != 0x0800) return null;
        int ip = 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        int udp = ip + ihl;
        int vx = udp + 8;
        int in = vx + 8;
        int inIp = in + 14;
        if ((b.getShort(in + 12) & 0xffff) != 0x0800 || b.get(inIp + 9) != 1) return null;
        int inIhl = (b.get(inIp) & 0x0f) * 4;
        return new Outer(b.get(ip) & 0xff, (b.getShort(ip + 6) >>> 14) & 1, b.get(ip + 8) & 0xff, b.get(ip + 9) & 0xff,
                b.getShort(udp) & 0xffff, b.getShort(udp + 2) & 0xffff, b.getShort(udp + 4) & 0xffff,
                b.getShort(ip + 2) & 0xffff, b.getShort(udp + 6) & 0xffff, b.getInt(vx) & 0xffffffffL,
                b.getInt(vx + 4) & 0xffffffffL, b.limit() - in, b.getShort(inIp + 2) & 0xffff,
                ((long) (b.getShort(in) & 0xffff) << 32) | (b.getInt(in + 2) & 0xffffffffL), b.get(inIp + inIhl) & 0xff);
    }

}
