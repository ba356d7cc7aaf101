package io.weft.agent.backend.userspace;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.weft.core.libc.Libc;
import io.netty.channel.socket.SocketProtocolFamily;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The UDP side of the datapath: the socket on the VXLAN port, read with recvmmsg (each slot one datagram, or with
 * UDP_GRO one train of a flow's datagrams), and a small pool of send sockets bound to ephemeral ports, so that the
 * outer source port follows the inner flow's hash as the kernel's does. Datagrams are queued on a send socket with
 * {@link #send} and each socket written is flushed once per batch ({@link #flush}: sendmmsg, or one UDP GSO send per
 * run of segments). When a socket backs up, {@code backedUp} runs (the datapath stops reading the TAP) and
 * {@code drained} once all have room again. Transmit loop only, but for binding and closing.
 */
final class UdpPort {
    private static final Logger LOG = Logger.getLogger(UdpPort.class.getName());
    private static final int SOL_SOCKET = 1;
    private static final int IPPROTO_IP = 0;
    private static final int IP_MTU_DISCOVER = 10;
    private static final int IP_PMTUDISC_DONT = 0;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int IPV6_MTU_DISCOVER = 23;
    private static final int IPV6_PMTUDISC_DONT = 0;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int EADDRINUSE = 98;
    /**
     * recvmmsg slots per read (2 MiB): with 16, small packets on an underlay without GRO came ~15 % slower. One
     * receive buffer per read, cut into the slots (recvmsg, which Netty would need to split UDP_GRO trains itself,
     * takes one datagram per call: small packets came ~25 % slower).
     */
    private static final int RX_SLOTS = 32;

    private final Channel rx;
    private final Channel[] tx;
    private final boolean udpGro;
    private final Runnable backedUp;
    private final Runnable drained;
    private final DatapathFeatures features;
    private final PeerTable peers;
    private int dirty; // bit per send socket written since the last flush (transmit loop only)
    private boolean backed; // backedUp ran and drained has not yet (transmit loop only)

    /**
     * Binds the receive socket on {@code port} and {@code txSockets} send sockets; throws {@link BindException} if the
     * port is taken.
     *
     * @param receive the receive pipeline's handler
     */
    UdpPort(EventLoop rxLoop, EventLoop txLoop, ByteBufAllocator alloc, VxlanDatapath.Options opt,
            boolean udpGroWanted, ChannelHandler receive, DatapathFeatures features, PeerTable peers, Runnable backedUp,
            Runnable drained) throws BindException, InterruptedException {
        this.features = features;
        this.peers = peers;
        this.backedUp = backedUp;
        this.drained = drained;
        Channel r = null;
        Channel[] t = new Channel[Math.max(1, opt.txSockets())];
        boolean v6 = opt.local() instanceof Ipv6Address;
        try {
            // One family per datapath, as the kernel's VXLAN devices have: flannel.<VNI> an IPv4 socket, flannel-v6.<VNI>
            // an IPv6-only one (IPV6_V6ONLY), so both bind the port side by side on a dual-stack node.
            r = new Bootstrap().group(rxLoop).channelFactory(() -> channel(v6))
                    .option(ChannelOption.SO_RCVBUF, opt.socketBuffer())
                    // recvmmsg of up to 32 datagrams per call, each in a 64 KiB slot: with UDP_GRO it may be a train
                    // of one flow's datagrams (when the underlay device does GRO), which the Decapsulator cuts apart;
                    // over a veth it may be a kernel peer's whole TCP superframe (Decapsulator#superframeSegmentSize).
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(Decapsulator.GRO_SLOT * RX_SLOTS))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, Decapsulator.GRO_SLOT)
                    .option(EpollChannelOption.UDP_GRO, udpGroWanted)
                    .option(ChannelOption.ALLOCATOR, alloc)
                    .handler(receive)
                    .bind(new InetSocketAddress(v6 ? ANY6 : ANY4, opt.port())).sync().channel();
            EpollDatagramChannel erx = (EpollDatagramChannel) r;
            this.udpGro = features.probeUdpGro(udpGroWanted, erx.config().isUdpGro(), erx.fd().intValue());
            // Past net.core.rmem_max when we hold CAP_NET_ADMIN (the agent does): bursts from many peers.
            Libc.setsockoptInt(erx.fd().intValue(), SOL_SOCKET, SO_RCVBUFFORCE, opt.socketBuffer());
            for (int i = 0; i < t.length; i++) {
                t[i] = new Bootstrap().group(txLoop).channelFactory(() -> channel(v6))
                        .option(ChannelOption.SO_SNDBUF, opt.socketBuffer())
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
                        .handler(new TxHandler())
                        .bind(new InetSocketAddress(opt.local() == null ? ANY4 : opt.local().toInetAddress(), 0))
                        .sync().channel();
                int fd = ((EpollDatagramChannel) t[i]).fd().intValue();
                Libc.setsockoptInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, opt.socketBuffer());
                // The kernel's VXLAN device leaves DF clear on the outer header (df unset); so do we. Over IPv6 nothing
                // fragments on the way, so a datagram over the underlay's MTU is fragmented here, as the kernel's is.
                if (v6) Libc.setsockoptInt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT);
                else Libc.setsockoptInt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
                // UDP checksums stay on: `ip link add type vxlan` defaults to udpcsum for IPv4 and UDP GSO needs
                // them; receivers (kernel and weft) accept zero and non-zero checksums alike.
            }
        } catch (Throwable e) { // bind failures arrive sneakily thrown from sync(), as Netty's NativeIoException
            close(r);
            for (Channel c : t) close(c);
            if (e instanceof BindException b) throw b;
            if (DatapathFeatures.errno(e) == EADDRINUSE) {
                BindException b = new BindException("UDP port " + opt.port() + ": " + e.getMessage());
                b.initCause(e);
                throw b;
            }
            throw e;
        }
        this.rx = r;
        this.tx = t;
    }

    private static final InetAddress ANY4 = new Ipv4Address(0).toInetAddress();
    private static final InetAddress ANY6 = new Ipv6Address(0, 0).toInetAddress();

    /** A datagram channel of the family: IPv6 ones take IPv6 alone, so an IPv4 socket can share the port. */
    private static EpollDatagramChannel channel(boolean v6) {
        if (!v6) return new EpollDatagramChannel(SocketProtocolFamily.INET);
        EpollDatagramChannel c = new EpollDatagramChannel(SocketProtocolFamily.INET6);
        Libc.setsockoptInt(c.fd().intValue(), IPPROTO_IPV6, IPV6_V6ONLY, 1);
        return c;
    }

    boolean udpGro() {
        return udpGro;
    }

    int sockets() {
        return tx.length;
    }

    /** Queues a datagram on send socket {@code q}; it leaves with the next {@link #flush}. */
    void send(int q, Object datagram) {
        Channel c = tx[q];
        c.write(datagram, c.voidPromise());
        dirty |= 1 << q;
        if (!c.isWritable() && !backed) {
            // Backed up: the datapath stops reading the TAP before this flush, because a flush that drains the
            // channel fires the writability event inside it, and one seen while not yet paused was lost, leaving
            // the TAP unread for good (a TCP stream to a kernel node stalled that way).
            backed = true;
            backedUp.run();
            c.flush();
            drainedIfWritable();
        }
    }

    /** Flushes every send socket written since the last flush. */
    void flush() {
        int d = dirty;
        dirty = 0;
        for (int i = 0; d != 0; i++, d >>>= 1) {
            if ((d & 1) != 0) tx[i].flush();
        }
    }

    private void drainedIfWritable() {
        if (!backed) return;
        for (Channel c : tx) if (!c.isWritable()) return;
        backed = false;
        drained.run();
    }

    private final class TxHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            drainedIfWritable();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            peers.unknown().drop(DropReason.TX_ERROR);
            if (features.udpGsoSendFailed(cause)) {
                LOG.warning("UDP GSO send failed (" + cause.getMessage() + "); sending one datagram per segment from now on");
            }
        }
    }

    /** Closes the sockets through their channels, before their loops go. */
    void close() {
        // Shutting the loops down alone was seen to leave the sockets open (about one time in three after the TAP
        // had been deleted under the loop), and then the reopened datapath could not bind the VXLAN port again.
        close(rx);
        for (Channel c : tx) close(c);
    }

    private static void close(Channel c) {
        if (c == null || !c.isOpen()) return;
        boolean done = c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (c.isOpen()) LOG.warning("socket " + c.localAddress() + " did not close: " + (done ? c.closeFuture().cause() : "timed out"));
    }
}
