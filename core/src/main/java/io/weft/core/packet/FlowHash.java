package io.weft.core.packet;

import io.netty.buffer.ByteBuf;

/**
 * The hash the outer UDP source port is taken from, as Linux's {@code udp_flow_src_port} does: the inner
 * flow (IPv4 addresses, protocol and ports; IPv6 addresses, flow label, next header and, for TCP and UDP right
 * after the fixed header, ports; the MACs and EtherType for anything else), so that every packet
 * of one inner flow uses one outer port and ECMP on the underlay spreads distinct flows.
 */
public final class FlowHash {
    /** Linux's default ephemeral range, which the kernel VXLAN device uses for source ports. */
    public static final int PORT_MIN = 32768;
    public static final int PORT_MAX = 61000;

    private FlowHash() {}

    /** Hash of the Ethernet frame at {@code off} of {@code len} bytes. */
    public static int hash(ByteBuf b, int off, int len) {
        int h;
        if (len >= EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER
                && EthernetFrame.etherType(b, off) == EthernetFrame.TYPE_IPV4) {
            int ip = off + EthernetFrame.HEADER_LENGTH;
            int proto = Ipv4Packet.protocol(b, ip);
            h = mix(Ipv4Packet.src(b, ip), Ipv4Packet.dst(b, ip), proto);
            int ihl = Ipv4Packet.headerLength(b, ip);
            if ((proto == Ipv4Packet.PROTO_TCP || proto == Ipv4Packet.PROTO_UDP)
                    && !Ipv4Packet.isFragment(b, ip) && len >= EthernetFrame.HEADER_LENGTH + ihl + 4) {
                h = mix(h, b.getInt(ip + ihl), 0);
            }
        } else if (len >= EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH
                && EthernetFrame.etherType(b, off) == EthernetFrame.TYPE_IPV6) {
            int ip = off + EthernetFrame.HEADER_LENGTH;
            int proto = Ipv6Packet.nextHeader(b, ip);
            h = mix(Ipv6Packet.addressHash(b, ip), b.getInt(ip) & 0xfffff, proto); // and the flow label
            if ((proto == Ipv4Packet.PROTO_TCP || proto == Ipv4Packet.PROTO_UDP)
                    && len >= EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH + 4) {
                h = mix(h, b.getInt(ip + Ipv6Packet.HEADER_LENGTH), 0);
            }
        } else if (len >= EthernetFrame.HEADER_LENGTH) {
            h = mix((int) EthernetFrame.src(b, off), (int) EthernetFrame.dst(b, off), EthernetFrame.etherType(b, off));
        } else {
            h = 0;
        }
        return h;
    }

    /** Maps a hash onto the source port range, like {@code udp_flow_src_port}. */
    public static int sourcePort(int hash) {
        return (int) (((hash & 0xffffffffL) * (PORT_MAX - PORT_MIN)) >>> 32) + PORT_MIN;
    }

    private static int mix(int a, int b, int c) {
        long x = ((a & 0xffffffffL) << 32 | (b & 0xffffffffL)) ^ ((long) c * 0x9E3779B97F4A7C15L);
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        x *= 0xc4ceb9fe1a85ec53L;
        x ^= x >>> 33;
        return (int) x;
    }
}
