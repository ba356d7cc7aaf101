package io.weft.agent.trace;

/**
 * Tells which way a captured Ethernet frame carries the traced flow: src → dst, dst → src, or neither; inside a
 * VXLAN datagram when the hop carries the flow encapsulated. And whether it is a full-size packet (the MTU probe).
 * A flyweight over the frame's bytes: nothing is allocated per frame.
 */
final class FlowMatch {
    static final int NONE = 0;
    static final int FORWARD = 1;
    static final int REVERSE = 2;
    /** Set with FORWARD or REVERSE when the inner IPv4 packet is longer than {@link #BIG}. */
    static final int FULL_SIZE = 4;
    /** Longer than any small probe (84 bytes) or ordinary ACK, shorter than any overlay MTU weft sets up. */
    static final int BIG = 576;

    private static final int ETH = 14;
    private static final int UDP = 8;
    private static final int VXLAN = 8;

    private final int src;
    private final int dst;

    FlowMatch(int src, int dst) {
        this.src = src;
        this.dst = dst;
    }

    /** FORWARD, REVERSE (with FULL_SIZE) or NONE for {@code frame} (its first {@code length} bytes). */
    int classify(byte[] frame, int length, boolean encap) {
        int ip = ipv4At(frame, length, 0);
        if (ip < 0) return NONE;
        if (encap) {
            int ihl = (frame[ip] & 0x0f) * 4;
            if ((frame[ip + 9] & 0xff) != 17) return NONE;
            ip = ipv4At(frame, length, ip + ihl + UDP + VXLAN);
            if (ip < 0) return NONE;
        }
        if (ip + 20 > length) return NONE;
        int s = int32(frame, ip + 12);
        int d = int32(frame, ip + 16);
        int way = s == src && d == dst ? FORWARD : s == dst && d == src ? REVERSE : NONE;
        if (way == NONE) return NONE;
        int total = ((frame[ip + 2] & 0xff) << 8) | (frame[ip + 3] & 0xff);
        return total > BIG ? way | FULL_SIZE : way;
    }

    /** Offset of the IPv4 header of the Ethernet frame at {@code eth}, or -1 when it carries none. */
    private static int ipv4At(byte[] f, int length, int eth) {
        if (eth + ETH + 20 > length) return -1;
        int type = ((f[eth + 12] & 0xff) << 8) | (f[eth + 13] & 0xff);
        int ip = eth + ETH;
        if (type == 0x8100) { // one VLAN tag
            if (eth + ETH + 4 + 20 > length) return -1;
            type = ((f[eth + 16] & 0xff) << 8) | (f[eth + 17] & 0xff);
            ip += 4;
        }
        if (type != 0x0800 || (f[ip] & 0xf0) != 0x40) return -1;
        return ip;
    }

    private static int int32(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
