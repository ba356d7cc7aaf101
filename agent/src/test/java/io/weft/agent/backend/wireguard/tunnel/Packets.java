package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.core.packet.Ipv6Packet;
import io.weft.core.packet.Checksum;
import io.weft.core.packet.Ipv4Packet;
import io.weft.core.packet.VirtioNetHdr;
import java.util.SplittableRandom;

/** IPv4 and IPv6 packets for the tunnel tests, with correct header and TCP/UDP checksums. */
final class Packets {
    private Packets() {}

    /** A UDP packet over IPv4, or IPv6 (no extension headers) for IPv6 addresses, with its checksum. */
    static byte[] udp(String src, String dst, int payloadLen, long seed) {
        boolean v6 = src.indexOf(':') >= 0;
        int ih = v6 ? 40 : 20;
        byte[] p = new byte[ih + 8 + payloadLen];
        ByteBuf b = Unpooled.wrappedBuffer(p);
        if (v6) ipv6HeaderAt(b, 0, src, dst, 17, 8 + payloadLen);
        else ipHeader(b, src, dst, 17, p.length);
        b.setShort(ih, 40000);
        b.setShort(ih + 2, 5201);
        b.setShort(ih + 4, 8 + payloadLen);
        byte[] payload = new byte[payloadLen];
        new SplittableRandom(seed).nextBytes(payload);
        b.setBytes(ih + 8, payload);
        long pseudo = v6 ? Ipv6Packet.pseudoHeaderSum(b, 0, 8 + payloadLen) : Ipv4Packet.pseudoHeaderSum(b, 0, 8 + payloadLen);
        int c = Checksum.fold(Checksum.sum(b, ih, 8 + payloadLen, pseudo));
        b.setShort(ih + 6, c == 0 ? 0xffff : c);
        return p;
    }

    /**
     * A TCP superpacket as a TUN with TSO hands it over: virtio-net header (GSO TCPV4, or TCPV6 for IPv6 addresses;
     * partial checksum), then one IP packet of {@code payloadLen} payload bytes whose TCP checksum field holds the
     * pseudo-header sum.
     */
    static byte[] tcpSuperpacket(String src, String dst, int payloadLen, int mss, long seq) {
        boolean v6 = src.indexOf(':') >= 0;
        int ih = v6 ? 40 : 20;
        int l4 = 20 + payloadLen;
        byte[] out = new byte[VirtioNetHdr.LENGTH + ih + l4];
        ByteBuf b = Unpooled.wrappedBuffer(out);
        int ip = VirtioNetHdr.LENGTH;
        VirtioNetHdr.write(b, 0, VirtioNetHdr.F_NEEDS_CSUM, v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, ih + 20, mss, ih, 16);
        if (v6) ipv6HeaderAt(b, ip, src, dst, 6, l4);
        else ipHeaderAt(b, ip, src, dst, 6, ih + l4);
        int tcp = ip + ih;
        b.setShort(tcp, 40000);
        b.setShort(tcp + 2, 5201);
        b.setInt(tcp + 4, (int) seq);
        b.setInt(tcp + 8, 1);
        b.setByte(tcp + 12, 5 << 4);
        b.setByte(tcp + 13, 0x18); // ACK PSH
        b.setShort(tcp + 14, 65000);
        for (int i = 0; i < payloadLen; i++) b.setByte(tcp + 20 + i, i * 7);
        long pseudo = v6 ? Ipv6Packet.pseudoHeaderSum(b, ip, l4) : Ipv4Packet.pseudoHeaderSum(b, ip, l4);
        b.setShort(tcp + 16, Checksum.foldNoComplement(pseudo));
        return out;
    }

    static void ipHeader(ByteBuf b, String src, String dst, int proto, int totalLen) {
        ipHeaderAt(b, 0, src, dst, proto, totalLen);
    }

    static void ipHeaderAt(ByteBuf b, int at, String src, String dst, int proto, int totalLen) {
        b.setByte(at, 0x45);
        b.setShort(at + 2, totalLen);
        b.setShort(at + 4, 0x1234);
        b.setShort(at + 6, 0x4000);
        b.setByte(at + 8, 64);
        b.setByte(at + 9, proto);
        b.setInt(at + 12, Ipv4Address.parse(src).value());
        b.setInt(at + 16, Ipv4Address.parse(dst).value());
        Ipv4Packet.updateChecksum(b, at);
    }

    /** Whether the IPv4 header checksum and the TCP or UDP checksum of {@code p} are right. */
    static boolean checksumsValid(byte[] p) {
        ByteBuf b = Unpooled.wrappedBuffer(p);
        int ihl = (p[0] & 0xf) * 4;
        if (Checksum.fold(Checksum.sum(b, 0, ihl, 0)) != 0) return false;
        int l4 = b.getUnsignedShort(2) - ihl;
        return Checksum.fold(Checksum.sum(b, ihl, l4, Ipv4Packet.pseudoHeaderSum(b, 0, l4))) == 0;
    }

    static void ipv6HeaderAt(ByteBuf b, int at, String src, String dst, int next, int payloadLen) {
        b.setInt(at, 0x60012345); // version 6, a flow label
        b.setShort(at + 4, payloadLen);
        b.setByte(at + 6, next);
        b.setByte(at + 7, 64);
        b.setBytes(at + 8, Ipv6Address.parse(src).toBytes());
        b.setBytes(at + 24, Ipv6Address.parse(dst).toBytes());
    }

    /** Whether the TCP or UDP checksum of the IPv6 packet {@code p} is right. */
    static boolean checksumsValid6(byte[] p) {
        ByteBuf b = Unpooled.wrappedBuffer(p);
        int l4 = b.getUnsignedShort(4);
        return p.length == 40 + l4 && Checksum.fold(Checksum.sum(b, 40, l4, Ipv6Packet.pseudoHeaderSum(b, 0, l4))) == 0;
    }
}
