package io.weft.agent.backend.userspace;

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
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.internal.PlatformDependent;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import io.weft.core.tap.NativeIo;
import io.weft.core.tap.TapDevice;
import io.weft.core.vxlan.EthernetFrame;
import io.weft.core.vxlan.FlowHash;
import io.weft.core.vxlan.TcpSegmenter;
import io.weft.core.vxlan.VirtioNetHdr;
import io.weft.core.vxlan.VxlanHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * The userspace VTEP: frames the kernel routes into the TAP are wrapped in VXLAN and sent to the peer whose
 * VtepMAC is the frame's destination; VXLAN datagrams received on the port are checked and their inner
 * frames written to the TAP.
 *
 * <p>Threads: one Netty epoll event loop owns every socket (receive on the VXLAN port with recvmmsg; send on
 * a small pool of sockets bound to ephemeral ports, so that the outer source port follows the inner flow's
 * hash as the kernel's does) and writes decapsulated frames to the TAP; one platform thread reads the TAP
 * in batches, encapsulates (segmenting TSO superframes) and hands the datagrams to the event loop through
 * lock-free queues, one flush per batch (sendmmsg, or one UDP GSO send per superframe).
 */
public final class VxlanDatapath implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VxlanDatapath.class.getName());
    private static final int SOL_SOCKET = 1;
    private static final int IPPROTO_IP = 0;
    private static final int IP_MTU_DISCOVER = 10;
    private static final int IP_PMTUDISC_DONT = 0;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int READ_BATCH = 64;
    private static final int MAX_PENDING = 2048;
    private static final int RX_SLOT = 2048;
    /** The kernel refuses a UDP send over 64 KiB, so one GSO send carries at most this much. */
    private static final int GSO_MAX_BYTES = 65000;
    private static final int GSO_MAX_SEGMENTS = 64;

    /**
     * @param vni         VXLAN network identifier
     * @param port        UDP port to listen on and send to (8472)
     * @param local       address to send from (this node's PublicIP); null = any
     * @param localMac    our VtepMAC: the only unicast destination accepted from the wire
     * @param mtu         overlay MTU; longer inner frames are dropped as oversize
     * @param offload     take TSO superframes and partial checksums from the TAP
     * @param gso         send segment runs with UDP GSO when the kernel supports it
     * @param txSockets   how many send sockets (ephemeral source ports) to spread flows over
     */
    public record Options(int vni, int port, Ipv4Address local, MacAddress localMac, int mtu, boolean offload,
                          boolean gso, int txSockets, int socketBuffer) {
        public static Options defaults(int vni, int port, Ipv4Address local, MacAddress mac, int mtu) {
            return new Options(vni, port, local, mac, mtu, true, true, 8, 4 << 20);
        }

        public Options withOffload(boolean offload, boolean gso) {
            return new Options(vni, port, local, localMac, mtu, offload, gso, txSockets, socketBuffer);
        }
    }

    private final TapDevice tap;
    private final Options opt;
    private final PeerTable peers;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final int vni;
    private final long localMac;
    private final int maxFrame;

    private EventLoopGroup group;
    private Channel rx;
    private Channel[] tx;
    private Queue<Object>[] txQueues;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private Thread reader;
    private volatile boolean running;
    private volatile boolean gsoActive;
    private volatile FrameSink sink;
    private volatile String features = "";
    private FrameOutput output = this::writeTap;

    // Owned by the event loop: the iovec pair for TAP writes (zero virtio header + frame).
    private final MemorySegment iov;
    private final MemorySegment zeroHdr;

    public VxlanDatapath(TapDevice tap, Options opt, PeerTable peers) {
        this.tap = tap;
        this.opt = opt;
        this.peers = peers;
        this.vni = opt.vni();
        this.localMac = opt.localMac().value();
        this.maxFrame = opt.mtu() + EthernetFrame.HEADER_LENGTH;
        Arena arena = Arena.ofAuto();
        this.iov = arena.allocate(32, 8);
        this.zeroHdr = arena.allocate(16, 8);
        iov.set(ValueLayout.JAVA_LONG, 0, zeroHdr.address());
        iov.set(ValueLayout.JAVA_LONG, 8, VirtioNetHdr.LENGTH);
    }

    /** Binds the sockets and starts moving packets. Throws {@link java.net.BindException} if the port is taken. */
    @SuppressWarnings("unchecked")
    public synchronized void start() throws IOException, InterruptedException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty native epoll is not available: " + Epoll.unavailabilityCause());
        }
        boolean offloadOn = opt.offload() && tap.setOffload(TapDevice.TUN_F_CSUM | TapDevice.TUN_F_TSO4 | TapDevice.TUN_F_TSO_ECN);
        if (!opt.offload()) tap.setOffload(0);
        gsoActive = opt.gso() && offloadOn && SegmentedDatagramPacket.isSupported();
        group = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "weft-vxlan-loop");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        try {
            rx = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, opt.socketBuffer())
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RX_SLOT * 32))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, RX_SLOT)
                    .option(ChannelOption.ALLOCATOR, alloc)
                    .handler(new RxHandler())
                    .bind(new InetSocketAddress(opt.port())).sync().channel();
            // Past net.core.rmem_max when we hold CAP_NET_ADMIN (the agent does): bursts from many peers.
            NativeIo.setsockoptInt(((EpollDatagramChannel) rx).fd().intValue(), SOL_SOCKET, SO_RCVBUFFORCE, opt.socketBuffer());
            tx = new Channel[Math.max(1, opt.txSockets())];
            txQueues = new Queue[tx.length];
            for (int i = 0; i < tx.length; i++) {
                tx[i] = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                        .option(ChannelOption.SO_SNDBUF, opt.socketBuffer())
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                        .handler(new TxHandler())
                        .bind(new InetSocketAddress(opt.local() == null ? null : opt.local().toInetAddress(), 0))
                        .sync().channel();
                txQueues[i] = PlatformDependent.newMpscQueue();
                int txFd = ((EpollDatagramChannel) tx[i]).fd().intValue();
                NativeIo.setsockoptInt(txFd, SOL_SOCKET, SO_SNDBUFFORCE, opt.socketBuffer());
                // The kernel's VXLAN device leaves DF clear on the outer header (df unset); so do we.
                NativeIo.setsockoptInt(txFd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
                // UDP checksums stay on: `ip link add type vxlan` defaults to udpcsum for IPv4 and UDP GSO needs
                // them; receivers (kernel and weft) accept zero and non-zero checksums alike.
            }
        } catch (Throwable e) { // bind failures (BindException) arrive sneakily thrown from sync()
            shutdownGroup();
            throw e;
        }
        features = "tap-offload=" + (offloadOn ? "csum,tso4" : "off") + " udp-gso=" + (gsoActive ? "on" : "off (sendmmsg)")
                + " rx=recvmmsg tx-sockets=" + tx.length;
        LOG.info("userspace VXLAN datapath on " + tap.name() + " port " + opt.port() + ": " + features);
        running = true;
        reader = new Thread(this::readLoop, "weft-tap-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Which speed features are on, for logs and /metrics. */
    public String features() {
        return features;
    }

    public boolean gsoActive() {
        return gsoActive;
    }

    public PeerTable peers() {
        return peers;
    }

    public void sink(FrameSink s) {
        this.sink = s;
    }

    public FrameSink sink() {
        return sink;
    }

    // ---------------------------------------------------------------- receive: wire -> TAP (event loop)

    private final class RxHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p) {
                try {
                    onDatagram(p);
                } catch (RuntimeException e) {
                    peers.unknown().drop(DropReason.RUNT);
                } finally {
                    p.release();
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.fine("receive error: " + cause);
        }
    }

    private void onDatagram(DatagramPacket p) {
        InetSocketAddress sender = p.sender();
        // Inet4Address.hashCode() is its 32-bit address: no byte[] per packet.
        Peer peer = sender == null ? null : peers.snapshot().byIp(sender.getAddress().hashCode());
        if (peer == null || !(sender.getAddress() instanceof java.net.Inet4Address)) {
            peers.unknown().drop(DropReason.UNKNOWN_SOURCE);
            return;
        }
        ByteBuf c = p.content();
        decap(peer.counters(), c, c.readerIndex(), c.readableBytes());
    }

    /** Checks one VXLAN payload and writes its frame to the TAP, or counts why not. Visible for tests and JMH. */
    int decap(PeerCounters counters, ByteBuf c, int off, int len) {
        int v = VxlanHeader.check(c, off, len, vni);
        if (v != VxlanHeader.OK) {
            counters.drop(v == VxlanHeader.RUNT ? DropReason.RUNT : v == VxlanHeader.BAD_FLAGS ? DropReason.BAD_FLAGS
                    : DropReason.WRONG_VNI);
            return -1;
        }
        int frameOff = off + VxlanHeader.LENGTH;
        int frameLen = len - VxlanHeader.LENGTH;
        if (frameLen > maxFrame) {
            counters.drop(DropReason.OVERSIZE);
            return -1;
        }
        long dst = EthernetFrame.dst(c, frameOff);
        if (dst != localMac && !EthernetFrame.isGroup(dst)) {
            counters.drop(DropReason.NOT_OUR_MAC);
            return -1;
        }
        FrameSink s = sink;
        if (s != null) s.frame(false, c, frameOff, frameLen);
        if (!output.write(c, frameOff, frameLen)) {
            counters.drop(DropReason.TAP_WRITE);
            return -1;
        }
        counters.rx(frameLen);
        return frameLen;
    }

    /** Where decapsulated frames go: the TAP, or a test's stand-in. Called on the event loop only. */
    @FunctionalInterface
    public interface FrameOutput {
        boolean write(ByteBuf buf, int offset, int length);
    }

    /** Writes a frame to the TAP behind a zero virtio-net header, gathered with writev (no copy). */
    private boolean writeTap(ByteBuf c, int frameOff, int frameLen) {
        iov.set(ValueLayout.JAVA_LONG, 16, address(c, frameOff, frameLen));
        iov.set(ValueLayout.JAVA_LONG, 24, frameLen);
        return tap.writev(iov.address(), 2) >= 0;
    }

    /** The receive pipeline alone, for tests: checks and delivers datagrams to {@code out}. */
    public ChannelInboundHandlerAdapter receiveHandler(FrameOutput out) {
        this.output = out;
        return new RxHandler();
    }

    static long address(ByteBuf b, int index, int length) {
        if (b.hasMemoryAddress()) return b.memoryAddress() + index;
        return MemorySegment.ofBuffer(b.internalNioBuffer(index, length)).address();
    }

    // ---------------------------------------------------------------- transmit: TAP -> wire

    private void readLoop() {
        ByteBuf scratch = alloc.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
        try {
            long base = address(scratch, 0, scratch.capacity());
            int cap = scratch.capacity();
            while (running) {
                if (!tap.awaitReadable(100)) continue;
                int n = 0;
                while (n < READ_BATCH && running) {
                    int len = tap.read(base, cap);
                    if (len < 0) break;
                    n++;
                    try {
                        encap(scratch, len);
                    } catch (RuntimeException e) {
                        peers.unknown().drop(DropReason.TX_ERROR);
                    }
                }
                if (n > 0) scheduleFlush();
                while (pending.get() > MAX_PENDING && running) LockSupport.parkNanos(20_000);
            }
        } finally {
            scratch.release();
        }
    }

    /** Encapsulates one read from the TAP (virtio header + frame at index 0 of {@code in}). */
    void encap(ByteBuf in, int readLen) {
        int frameOff = VirtioNetHdr.LENGTH;
        int frameLen = readLen - VirtioNetHdr.LENGTH;
        if (frameLen < EthernetFrame.HEADER_LENGTH) {
            peers.unknown().drop(DropReason.TX_ERROR);
            return;
        }
        Peer peer = peers.snapshot().byMac(EthernetFrame.dst(in, frameOff));
        if (peer == null) {
            peers.unknown().drop(DropReason.NO_FDB);
            return;
        }
        int flags = VirtioNetHdr.flags(in, 0);
        int gsoType = VirtioNetHdr.gsoType(in, 0) & ~VirtioNetHdr.GSO_ECN;
        int q = (FlowHash.hash(in, frameOff, frameLen) & 0x7fffffff) % tx.length;
        if (gsoType == VirtioNetHdr.GSO_NONE) {
            if ((flags & VirtioNetHdr.F_NEEDS_CSUM) != 0) {
                TcpSegmenter.completeChecksum(in, frameOff, frameLen, VirtioNetHdr.csumStart(in, 0),
                        VirtioNetHdr.csumOffset(in, 0));
            }
            ByteBuf out = alloc.directBuffer(VxlanHeader.LENGTH + frameLen);
            VxlanHeader.write(out, 0, vni);
            out.setBytes(VxlanHeader.LENGTH, in, frameOff, frameLen);
            out.writerIndex(VxlanHeader.LENGTH + frameLen);
            FrameSink s = sink;
            if (s != null) s.frame(true, out, VxlanHeader.LENGTH, frameLen);
            enqueue(q, new DatagramPacket(out, peer.endpoint()));
            peer.counters().tx(1, frameLen);
            return;
        }
        int mss = VirtioNetHdr.gsoSize(in, 0);
        int hdr = TcpSegmenter.headerLength(in, frameOff, frameLen);
        // A sane superframe only: a tiny gso_size would make thousands of segments out of one read.
        if (gsoType != VirtioNetHdr.GSO_TCPV4 || hdr < 0 || mss < 64 || (frameLen - hdr) / mss > 1024) {
            peer.counters().drop(DropReason.TX_ERROR);
            return;
        }
        ByteBuf out = alloc.directBuffer(TcpSegmenter.outputSize(hdr, frameLen, mss));
        try {
            int nseg = TcpSegmenter.segment(in, frameOff, frameLen, hdr, mss, out, vni);
            int stride = VxlanHeader.LENGTH + hdr + mss;
            int total = out.writerIndex();
            FrameSink s = sink;
            if (s != null) {
                for (int i = 0, o = 0; i < nseg; i++, o += stride) {
                    s.frame(true, out, o + VxlanHeader.LENGTH, Math.min(stride, total - o) - VxlanHeader.LENGTH);
                }
            }
            if (gsoActive && nseg > 1) {
                int perSend = Math.max(1, Math.min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES / stride));
                for (int o = 0; o < total; o += perSend * stride) {
                    int len = Math.min(perSend * stride, total - o);
                    enqueue(q, new SegmentedDatagramPacket(out.retainedSlice(o, len), stride, peer.endpoint()));
                }
            } else {
                for (int o = 0; o < total; o += stride) {
                    enqueue(q, new DatagramPacket(out.retainedSlice(o, Math.min(stride, total - o)), peer.endpoint()));
                }
            }
            peer.counters().tx(nseg, total - (long) nseg * VxlanHeader.LENGTH);
        } finally {
            out.release();
        }
    }

    private void enqueue(int q, Object msg) {
        txQueues[q].offer(msg);
        pending.incrementAndGet();
    }

    private void scheduleFlush() {
        if (flushScheduled.compareAndSet(false, true)) {
            try {
                group.next().execute(drainTask);
            } catch (RuntimeException e) {
                flushScheduled.set(false);
            }
        }
    }

    /** On the event loop: writes what the reader queued, flushing each socket once (sendmmsg / GSO). */
    private void drain() {
        flushScheduled.set(false);
        boolean leftover = false;
        for (int i = 0; i < tx.length; i++) {
            Channel c = tx[i];
            Queue<Object> queue = txQueues[i];
            boolean wrote = false;
            Object m;
            while (c.isWritable() && (m = queue.poll()) != null) {
                pending.decrementAndGet();
                if (!c.isActive()) {
                    io.netty.util.ReferenceCountUtil.release(m);
                    continue;
                }
                c.write(m, c.voidPromise());
                wrote = true;
            }
            if (wrote) c.flush();
            if (!queue.isEmpty() && c.isWritable()) leftover = true;
        }
        if (leftover) scheduleFlush();
    }

    private final class TxHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) scheduleFlush();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            peers.unknown().drop(DropReason.TX_ERROR);
            if (gsoActive && String.valueOf(cause.getMessage()).matches("(?i).*(invalid argument|input/output|EIO|EINVAL).*")) {
                gsoActive = false;
                features = features.replace("udp-gso=on", "udp-gso=off (send failed: " + cause.getMessage() + ")");
                LOG.warning("UDP GSO send failed (" + cause.getMessage() + "); falling back to sendmmsg");
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public synchronized void close() {
        running = false;
        if (reader != null) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutdownGroup();
        if (txQueues != null) {
            for (Queue<Object> q : txQueues) {
                Object m;
                while ((m = q.poll()) != null) io.netty.util.ReferenceCountUtil.release(m);
            }
        }
    }

    private void shutdownGroup() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
