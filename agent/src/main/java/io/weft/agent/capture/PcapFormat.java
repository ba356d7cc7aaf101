package io.weft.agent.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic libpcap file format (magic a1b2c3d4, version 2.4, microsecond stamps, LINKTYPE_ETHERNET), the
 * format tcpdump, Wireshark and pcap4j read. Written by hand so that the agent streams it over HTTP without
 * needing libpcap at run time; the tests read it back with pcap4j.
 */
public final class PcapFormat {
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int GLOBAL_HEADER = 24;
    public static final int RECORD_HEADER = 16;

    private PcapFormat() {}

    public static byte[] globalHeader(int snaplen) {
        ByteBuffer b = ByteBuffer.allocate(GLOBAL_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(snaplen)
                .putInt(LINKTYPE_ETHERNET);
        return b.array();
    }

    /** One record: header then the (possibly truncated) frame. */
    public static byte[] record(long epochMicros, byte[] frame, int capturedLength, int originalLength) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_HEADER + capturedLength).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000)).putInt(capturedLength)
                .putInt(originalLength);
        b.put(frame, 0, capturedLength);
        return b.array();
    }
}
