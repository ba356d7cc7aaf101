package io.weft.agent.backend.wireguard.tunnel;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.weft.agent.backend.device.DeviceEpollHandle;
import io.weft.agent.backend.wireguard.noise.LocalIdentity;
import io.weft.core.libc.Libc;
import io.weft.core.tap.TunDevice;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.VirtioNetHdr;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * weft's userspace WireGuard device: the TUN {@code flannel-wg} and one UDP socket on the listen port, both in one
 * Netty epoll event loop, with the {@link Tunnel} in between. The loop reads the TUN in batches (TSO superpackets
 * when offloads are on), seals and queues, and flushes the socket once per batch; received datagrams (recvmmsg) are
 * opened and written to the TUN. One socket sends and receives, as the kernel's device does, so peers see our
 * listen port as the source and learn our endpoint from it. When the socket backs up the loop stops reading the TUN
 * until it drains. Handshakes run on their own thread (see {@link HandshakeWorker}).
 */
public final class WgDatapath implements TunnelIo, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WgDatapath.class.getName());
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int READ_BATCH = 64;
    private static final int HDR = VirtioNetHdr.LENGTH;
    /** While the socket is backed up the TUN stays registered for errors only (see VxlanDatapath on Netty's NONE). */
    private static final EpollIoOps PAUSED = EpollIoOps.EPOLLERR;

    /**
     * @param port    UDP listen port (51820)
     * @param mtu     the TUN's MTU
     * @param offload TSO superpackets and partial checksums from the TUN, UDP GSO sends
     */
    public record Options(int port, int mtu, boolean offload, int socketBuffer) {
        public static Options defaults(int port, int mtu) {
            return new Options(port, mtu, true, 4 << 20);
        }

        public Options withOffload(boolean on) {
            return new Options(port, mtu, on, socketBuffer);
        }
    }

    private final TunDevice tun;
    private final Options opt;
    private final LocalIdentity identity;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EventLoopGroup group;
    private IoEventLoop loop;
    private Channel socket;
    private IoRegistration tunRegistration;
    private Tunnel tunnel;
    private ByteBuf scratch;
    private volatile boolean running;
    private volatile boolean gso;
    private boolean offloadOn;
    private boolean tunPaused;
    private volatile long tunPauses;
    private volatile String features = "";

    public WgDatapath(TunDevice tun, Options opt, LocalIdentity identity) {
        this.tun = tun;
        this.opt = opt;
        this.identity = identity;
    }

    /** Binds the socket and starts moving packets. Throws {@link java.net.BindException} if the port is taken. */
    public synchronized void start() throws IOException, InterruptedException {
        if (!Epoll.isAvailable()) throw new IOException("Netty native epoll is not available: " + Epoll.unavailabilityCause());
        offloadOn = opt.offload() && tun.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6
                | TunDevice.TUN_F_TSO_ECN) == 0;
        if (!opt.offload()) tun.setOffload(0);
        gso = offloadOn && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        group = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "weft-wg-loop");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
        tunnel = new Tunnel(identity, opt.mtu(), this, loop);
        int slot = Math.max(2048, opt.mtu() + 128);
        try {
            socket = new Bootstrap().group(loop).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, opt.socketBuffer())
                    .option(ChannelOption.SO_SNDBUF, opt.socketBuffer())
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot * 32))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot)
                    .option(ChannelOption.ALLOCATOR, alloc)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                    .handler(new SocketHandler())
                    .bind(new InetSocketAddress(opt.port())).sync().channel();
        } catch (Throwable e) { // bind failures arrive sneakily thrown from sync(), as Netty's NativeIoException
            shutdown();
            if (e instanceof IOException && String.valueOf(e.getMessage()).contains("Address already in use")) {
                java.net.BindException b = new java.net.BindException("UDP port " + opt.port() + ": " + e.getMessage());
                b.initCause(e);
                throw b;
            }
            throw e;
        }
        int fd = ((EpollDatagramChannel) socket).fd().intValue();
        Libc.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, opt.socketBuffer());
        Libc.setsockoptInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, opt.socketBuffer());
        features = "tun-offload=" + (offloadOn ? "csum,tso4,tso6" : "off") + " rx-coalesce=" + (offloadOn ? "tcp4,tcp6" : "off") + " udp-gso=" + (gso ? "on" : "off (sendmmsg)")
                + " rx=recvmmsg loops=1 handshakes=own-thread";
        scratch = alloc.directBuffer(HDR + 65536 + 64);
        running = true;
        try {
            tunRegistration = loop.register(new DeviceEpollHandle(tun, this::readTun, () -> { })).sync().getNow();
            loop.submit(() -> tunRegistration.submit(EpollIoOps.EPOLLIN)).sync();
            loop.scheduleAtFixedRate(tunnel::tick, 100, 100, TimeUnit.MILLISECONDS);
        } catch (Throwable e) {
            shutdown();
            throw e;
        }
        LOG.info("userspace WireGuard on " + tun.name() + " port " + opt.port() + ": " + features);
    }

    public Tunnel tunnel() {
        return tunnel;
    }

    public String features() {
        return features;
    }

    public long tunPauses() {
        return tunPauses;
    }

    // ------------------------------------------------------------------------------------------ TunnelIo

    @Override
    public void send(ByteBuf datagram, int segmentSize, InetSocketAddress to) {
        Object msg = segmentSize > 0 ? new SegmentedDatagramPacket(datagram, segmentSize, to) : new DatagramPacket(datagram, to);
        socket.write(msg, socket.voidPromise());
        if (!socket.isWritable() && !tunPaused) {
            // Backed up: stop reading the TUN (its queue holds, then drops, as a NIC's would) until it drains.
            tunPaused = true;
            tunPauses++;
            tunRegistration.submit(PAUSED);
            socket.flush();
            if (socket.isWritable()) resumeTun();
        }
    }

    @Override
    public void flush() {
        socket.flush();
    }

    @Override
    public boolean writeTun(long address, int length) {
        return tun.write(address, length) >= 0;
    }

    @Override
    public boolean coalesce() {
        return offloadOn;
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public boolean gso() {
        return gso;
    }

    private void resumeTun() {
        tunPaused = false;
        tunRegistration.submit(EpollIoOps.EPOLLIN); // level-triggered: queued packets show as readable at once
    }

    // -------------------------------------------------------------------------------------------- loops

    /** Reads a batch from the TUN (its descriptor is readable) and flushes the socket once. */
    private void readTun() {
        long address = DirectBufferMemory.address(scratch, 0, scratch.capacity());
        for (int n = 0; n < READ_BATCH && running && !tunPaused; n++) {
            int len = tun.read(address, scratch.capacity());
            if (len < 0) break;
            try {
                tunnel.transmitter().fromTun(scratch, len);
            } catch (RuntimeException ex) {
                tunnel.unknown.drop(WgDrop.TX_ERROR);
            }
        }
        socket.flush();
    }

    private final class SocketHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket p)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            try {
                ByteBuf c = p.content();
                tunnel.receiver().datagram(c, c.readerIndex(), c.readableBytes(), p.sender());
            } catch (RuntimeException e) {
                tunnel.unknown.drop(WgDrop.RUNT);
            } finally {
                p.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            tunnel.receiver().flush(); // the superpacket the batch was building
            socket.flush(); // keepalives and handshake answers made while receiving
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (tunPaused && socket.isWritable()) resumeTun();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            tunnel.unknown.drop(WgDrop.TX_ERROR);
            if (gso && String.valueOf(cause.getMessage()).matches("(?i).*(invalid argument|input/output|EIO|EINVAL).*")) {
                gso = false;
                features = features.replace("udp-gso=on", "udp-gso=off (send failed: " + cause.getMessage() + ")");
                LOG.warning("UDP GSO send failed (" + cause.getMessage() + "); falling back to sendmmsg");
            }
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        if (loop != null && tunnel != null) {
            try {
                loop.submit(() -> {
                    if (tunRegistration != null) tunRegistration.cancel();
                    tunnel.close();
                }).await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (socket != null && socket.isOpen()) socket.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        shutdown();
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
    }

    private void shutdown() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
