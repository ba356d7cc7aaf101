package io.weft.lab.pcap;

import java.nio.file.Path;

/**
 * Points pcap4j at Debian's libpcap when only the versioned library (libpcap0.8, no -dev package) is installed, and
 * reads captures back.
 */
public final class PcapLib {
    private PcapLib() {}

    public static void configure() {
        io.weft.agent.trace.HopCapture.useDebiansLibpcap();
    }

    /** ICMP echo requests and replies (IPv4 over Ethernet) in a pcap file, read with libpcap: {requests, replies}. */
    public static int[] icmpEchoes(Path pcap) throws Exception {
        configure();
        int[] n = new int[2];
        try (org.pcap4j.core.PcapHandle h = org.pcap4j.core.Pcaps.openOffline(pcap.toString())) {
            while (true) {
                byte[] b;
                try {
                    b = h.getNextRawPacketEx();
                } catch (java.io.EOFException e) {
                    return n;
                }
                java.nio.ByteBuffer f = java.nio.ByteBuffer.wrap(b);
                if (b.length < 14 + 20 + 8 || (f.getShort(12) & 0xffff) != 0x0800 || b[14 + 9] != 1) continue;
                int type = b[14 + (b[14] & 0x0f) * 4] & 0xff;
                if (type == 8) n[0]++;
                if (type == 0) n[1]++;
            }
        }
    }
}
