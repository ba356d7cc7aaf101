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

    static byte[] udp(String src, String dst, int payloadLen, long seed) {
        byte[] p = new byte[20 + 8 + payloadLen];
        ByteBuf b = Unpooled.wrappedBuffer(p);
        ipHeader(b, src, dst, 17, p.length);
        b.setShort(20, 40000);
        b.setShort(22, 5201);
        b.setShort(24, 8 + payloadLen);
        byte[] payload = new byte[payloadLen];
        new SplittableRandom(seed).nextBytes(payload);
        b.setBytes(28, payload);
        b.setShort(26, 0);
        long s = Ipv4Packet.pseudoHeaderSum(b, 0, 8 + payloadLen);
        int c = Checksum.fold(Checksum.sum(b, 20, 8 + payloadLen, s));
        b.setShort(26, c == 0 ? 0xffff : c);
        return p;
    }

    /**
     * A TCP/IPv4 superpacket as a TUN with TSO hands it over: virtio-net header (GSO TCPV4, partial checksum), then one
     * IP packet of {@code payloadLen} payload bytes whose TCP checksum field holds the pseudo-header sum.
     */
    static byte[] tcpSuperpacket(String src, String dst, int payloadLen, int mss, long seq) {
        int ipLen = 20 + 20 + payloadLen;
        byte[] out = new byte[VirtioNetHdr.LENGTH + ipLen];
        ByteBuf b = Unpooled.wrappedBuffer(out);
        int ip = VirtioNetHdr.LENGTH;
        VirtioNetHdr.write(b, 0, VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_TCPV4, 40, mss, 20, 16);
        ipHeaderAt(b, ip, src, dst, 6, ipLen);
        b.setShort(ip + 20, 40000);
        b.setShort(ip + 22, 5201);
        b.setInt(ip + 24, (int) seq);
        b.setInt(ip + 28, 1);
        b.setByte(ip + 32, 5 << 4);
        b.setByte(ip + 33, 0x18); // ACK PSH
        b.setShort(ip + 34, 65000);
        for (int i = 0; i < payloadLen; i++) b.setByte(ip + 40 + i, i * 7);
        b.setShort(ip + 36, Checksum.foldNoComplement(Ipv4Packet.pseudoHeaderSum(b, ip, 20 + payloadLen)));
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

    /** A UDP/IPv6 packet (no extension headers), its checksum over the IPv6 pseudo-header. */
    static byte[] udp6(String src, String dst, int payloadLen, long seed) {
        byte[] p = new byte[40 + 8 + payloadLen];
        ByteBuf b = Unpooled.wrappedBuffer(p);
        ipv6HeaderAt(b, 0, src, dst, 17, 8 + payloadLen);
        b.setShort(40, 40000);
        b.setShort(42, 5201);
        b.setShort(44, 8 + payloadLen);
        byte[] payload = new byte[payloadLen];
        new SplittableRandom(seed).nextBytes(payload);
        b.setBytes(48, payload);
        int c = Checksum.fold(Checksum.sum(b, 40, 8 + payloadLen, Ipv6Packet.pseudoHeaderSum(b, 0, 8 + payloadLen)));
        b.setShort(46, c == 0 ? 0xffff : c);
        return p;
    }

    /** A TCP/IPv6 superpacket as a TUN with TSO6 hands it over: GSO TCPV6, partial checksum. */
    static byte[] tcp6Superpacket(String src, String dst, int payloadLen, int mss, long seq) {
        int l4 = 20 + payloadLen;
        byte[] out = new byte[VirtioNetHdr.LENGTH + 40 + l4];
        ByteBuf b = Unpooled.wrappedBuffer(out);
        int ip = VirtioNetHdr.LENGTH;
        VirtioNetHdr.write(b, 0, VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_TCPV6, 60, mss, 40, 16);
        ipv6HeaderAt(b, ip, src, dst, 6, l4);
        b.setShort(ip + 40, 40000);
        b.setShort(ip + 42, 5201);
        b.setInt(ip + 44, (int) seq);
        b.setInt(ip + 48, 1);
        b.setByte(ip + 52, 5 << 4);
        b.setByte(ip + 53, 0x18); // ACK PSH
        b.setShort(ip + 54, 65000);
        for (int i = 0; i < payloadLen; i++) b.setByte(ip + 60 + i, i * 7);
        b.setShort(ip + 56, Checksum.foldNoComplement(Ipv6Packet.pseudoHeaderSum(b, ip, l4)));
        return out;
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
