package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;

/** What the tunnel needs from the datapath around it: the UDP socket and the TUN. Event loop only. */
public interface TunnelIo {
    /**
     * Queues {@code datagram} (a direct buffer; ownership passes) for {@code to}; with {@code segmentSize > 0} it is a
     * run of equal-sized datagrams (the last may be shorter) to send with UDP GSO. Sent on {@link #flush()}.
     */
    void send(ByteBuf datagram, int segmentSize, InetSocketAddress to);

    void flush();

    /** Writes {@code length} bytes at native {@code address} (virtio-net header, then the packet) to the TUN; false if that failed. */
    boolean writeTun(long address, int length);

    /** Whether received TCP segments may be joined into superpackets for the TUN (it has offloads on). */
    boolean coalesce();

    ByteBufAllocator alloc();

    /** Whether UDP GSO sends work (false after the kernel refused one, or without offloads). */
    boolean gso();
}
