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

    /**
     * Writes the packet at {@code buf[index + 10, +len)} to the TUN behind the virtio-net header at {@code buf[index]};
     * false if the write failed.
     */
    boolean deliver(ByteBuf buf, int index, int len);

    ByteBufAllocator alloc();

    /** Whether UDP GSO sends work (false after the kernel refused one, or without offloads). */
    boolean gso();
}
