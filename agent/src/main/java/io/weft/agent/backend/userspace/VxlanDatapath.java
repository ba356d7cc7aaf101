package io.weft.agent.backend.userspace;

import io.weft.agent.capture.FrameSink;
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
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import io.weft.core.libc.Libc;
import io.weft.core.tap.TapDevice;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.VirtioNetHdr;
import io.weft.core.vxlan.VxlanHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The userspace VTEP: frames the kernel routes into the TAP are wrapped in VXLAN and sent to the peer whose
 * VtepMAC is the frame's destination; VXLAN datagrams received on the port are checked and their inner
 * frames written to the TAP.
 *
 * <p>Threads: one or two Netty epoll event loops ({@link #loops()}) and no hand-off between them. The receive
 * loop owns the socket on the VXLAN port (recvmmsg) and hands each datagram to the {@link Decapsulator}, which
 * writes the inner frames to the TAP. The transmit loop (the same one when there is one) has the TAP's descriptor
 * in its epoll set (an {@link EpollIoHandle}): it reads frames in batches, the {@link Encapsulator} wraps them
 * (segmenting TSO superframes) for a small pool of sockets bound to ephemeral ports (so that the outer source
 * port follows the inner flow's hash, as the kernel's does), and each socket is flushed once per batch (sendmmsg,
 * or one UDP GSO send per superframe). When a socket backs up, the loop stops reading the TAP.
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
    /** The smallest receive slot without UDP_GRO; jumbo overlays get bigger ones ({@link #rxSlot}). */
    private static final int RX_SLOT = 2048;
    private static final int GRO_SLOT = Decapsulator.GRO_SLOT;
    /** 32 slots (2 MiB per read): with 16, small packets on an underlay without GRO came ~15 % slower. */
    private static final int GRO_SLOTS = 32;
    /**
     * The TAP's interest while reading is paused: errors only. Not {@code EpollIoOps.NONE}: in Netty 4.2.18 a
     * registration's {@code submit(NONE)} deletes the fd from the epoll set but keeps the registration's state
     * "added", so the next {@code submit(EPOLLIN)} tries epoll_ctl MOD and fails with ENOENT, and the TAP was
     * never read again after the first send backpressure (a TCP stream to a kernel node stalled at ~68 MB).
     */
    private static final EpollIoOps PAUSED = EpollIoOps.EPOLLERR;

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
    /**
     * A receive slot without UDP_GRO: a whole datagram of the largest frame, with room to spare so that an oversize
     * datagram, which recvmmsg cuts to the slot, still reads as longer than {@link #maxFrame} and is dropped.
     */
    private final int rxSlot;

    private EventLoopGroup group;
    private Channel rx;
    private Channel[] tx;
    private IoEventLoop txLoop;
    private IoRegistration tapRegistration;
    private ByteBuf scratch;
    private long scratchAddress;
    private int dirty; // bit per tx channel written since the last flush (tx loop only)
    private volatile boolean tapPaused;
    private volatile long tapPauses;
    private volatile long tapReRegistrations;
    private boolean tapGone; // the TAP was deleted under us (transmit loop only)
    private volatile boolean running;
    private volatile boolean gsoActive;
    private volatile FrameSink sink;
    private volatile String features = "";
    private volatile Decapsulator rxPath; // made by start(), or by receiveHandler() in tests
    private Encapsulator txPath; // made by start()
    private ByteBuf coalesceBuffer;

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
        this.rxSlot = Math.max(RX_SLOT, maxFrame + VxlanHeader.LENGTH + 64);
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
        gsoActive = opt.gso() && offloadOn && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        // One or two loops: with two, one receives and writes to the TAP, the other reads the TAP and sends;
        // neither direction hands packets across threads.
        TcpCoalescer coalescer = null;
        if (opt.offload()) {
            coalesceBuffer = alloc.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
            coalescer = new TcpCoalescer(coalesceBuffer, (a, l) -> tap.write(a, l) >= 0);
        }
        Decapsulator receive = new Decapsulator(peers, vni, localMac, maxFrame, this::sink, this::writeTap, coalescer);
        rxPath = receive;
        boolean udpGro = udpGroWanted();
        int loops = loops();
        group = new MultiThreadIoEventLoopGroup(loops, r -> {
            Thread t = new Thread(r, "weft-vxlan-loop");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        try {
            IoEventLoop rxLoop = (IoEventLoop) group.next();
            txLoop = loops == 1 ? rxLoop : (IoEventLoop) group.next();
            rx = new Bootstrap().group(rxLoop).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, opt.socketBuffer())
                    // recvmmsg of up to 32 datagrams per call; with UDP_GRO each may be a train of one flow's
                    // datagrams (when the underlay device does GRO), which the Decapsulator cuts apart.
                    .option(ChannelOption.RCVBUF_ALLOCATOR, rxAllocator(udpGro))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, udpGro ? GRO_SLOT : rxSlot)
                    .option(EpollChannelOption.UDP_GRO, udpGro)
                    .option(ChannelOption.ALLOCATOR, alloc)
                    .handler(receive.handler())
                    .bind(new InetSocketAddress(opt.port())).sync().channel();
            if (udpGro && !((EpollDatagramChannel) rx).config().isUdpGro()) {
                // A kernel before 5.0 refuses the option (Netty logs the refusal): read one datagram per slot.
                udpGro = false;
                ((EpollDatagramChannel) rx).config().setMaxDatagramPayloadSize(rxSlot).setRecvByteBufAllocator(rxAllocator(false));
                LOG.info("UDP_GRO is not supported by this kernel; receiving with recvmmsg");
            }
            // Past net.core.rmem_max when we hold CAP_NET_ADMIN (the agent does): bursts from many peers.
            Libc.setsockoptInt(((EpollDatagramChannel) rx).fd().intValue(), SOL_SOCKET, SO_RCVBUFFORCE, opt.socketBuffer());
            tx = new Channel[Math.max(1, opt.txSockets())];
            for (int i = 0; i < tx.length; i++) {
                tx[i] = new Bootstrap().group(txLoop).channel(EpollDatagramChannel.class)
                        .option(ChannelOption.SO_SNDBUF, opt.socketBuffer())
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                        .handler(new TxHandler())
                        .bind(new InetSocketAddress(opt.local() == null ? null : opt.local().toInetAddress(), 0))
                        .sync().channel();
                int txFd = ((EpollDatagramChannel) tx[i]).fd().intValue();
                Libc.setsockoptInt(txFd, SOL_SOCKET, SO_SNDBUFFORCE, opt.socketBuffer());
                // The kernel's VXLAN device leaves DF clear on the outer header (df unset); so do we.
                Libc.setsockoptInt(txFd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
                // UDP checksums stay on: `ip link add type vxlan` defaults to udpcsum for IPv4 and UDP GSO needs
                // them; receivers (kernel and weft) accept zero and non-zero checksums alike.
            }
        } catch (Throwable e) { // bind failures arrive sneakily thrown from sync(), as Netty's NativeIoException
            shutdownGroup();
            if (e instanceof java.net.BindException) throw e;
            if (e instanceof IOException && String.valueOf(e.getMessage()).contains("Address already in use")) {
                java.net.BindException b = new java.net.BindException("UDP port " + opt.port() + ": " + e.getMessage());
                b.initCause(e);
                throw b;
            }
            throw e;
        }
        receive.cutTrains(udpGro);
        txPath = new Encapsulator(peers, vni, alloc, this::sink, () -> gsoActive, tx.length, this::enqueue);
        features = "tap-offload=" + (offloadOn ? "csum,tso4" : "off") + " rx-coalesce=" + (coalescer != null ? "tcp4" : "off") + " udp-gso=" + (gsoActive ? "on" : "off (sendmmsg)")
                + (udpGro ? " rx=recvmmsg+udp-gro" : " rx=recvmmsg") + " tx-sockets=" + tx.length + " loops=" + loops;
        LOG.info("userspace VXLAN datapath on " + tap.name() + " port " + opt.port() + ": " + features);
        running = true;
        scratch = alloc.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
        scratchAddress = address(scratch, 0, scratch.capacity());
        try {
            tapRegistration = txLoop.register(new TapHandle()).sync().getNow();
            txLoop.submit(() -> tapRegistration.submit(EpollIoOps.EPOLLIN)).sync();
            txLoop.scheduleAtFixedRate(this::checkTapRegistration, 1, 1, TimeUnit.SECONDS);
        } catch (Throwable e) {
            shutdownGroup();
            throw e;
        }
    }

    /**
     * Event loops: WEFT_USERSPACE_LOOPS (1 or 2) if set, else 1 on machines with at most two CPUs and 2 above.
     * On two CPUs a second always-busy thread competes with the pods and the kernel's own softirq work; measured
     * on the 2-CPU netns bench with nothing else running, one loop gave 12-20 % more TCP throughput and the same or
     * up to ~150 µs less RTT than two (under load from other processes two threads win, as they get more CPU shares).
     */
    static int loops() {
        String v = System.getProperty("weft.userspace.loops", System.getenv("WEFT_USERSPACE_LOOPS"));
        if (v != null && !v.isBlank()) return "1".equals(v.strip()) ? 1 : 2;
        return Runtime.getRuntime().availableProcessors() <= 2 ? 1 : 2;
    }

    /**
     * UDP_GRO on the receive socket unless WEFT_USERSPACE_UDP_GRO (or -Dweft.userspace.udpGro) is 0 or false. Where
     * the underlay device does GRO (real NICs do; a veth does with {@code ethtool -K gro on}), the kernel hands over
     * one buffer per train of same-flow datagrams instead of one skb each: +25-50 % TCP on the bench's GRO underlay.
     * Where nothing is merged it reads as fast as recvmmsg (measured on a GRO-less veth underlay).
     */
    static boolean udpGroWanted() {
        String v = System.getProperty("weft.userspace.udpGro", System.getenv("WEFT_USERSPACE_UDP_GRO"));
        return v == null || !(v.strip().equals("0") || v.strip().equalsIgnoreCase("false"));
    }

    /**
     * One receive buffer per read, cut into slots for recvmmsg: 32 datagrams of {@link #rxSlot}, or with UDP_GRO
     * {@link #GRO_SLOTS} of {@link #GRO_SLOT}, each holding a train or a single datagram (recvmsg, which Netty
     * would need to split trains itself, takes one per call: small packets came ~25 % slower).
     */
    FixedRecvByteBufAllocator rxAllocator(boolean udpGro) {
        return new FixedRecvByteBufAllocator(udpGro ? GRO_SLOT * GRO_SLOTS : rxSlot * 32);
    }

    /** Which speed features are on, for logs and /metrics. */
    public String features() {
        return features;
    }

    /** Receive coalescing counters: {superframes written, segments joined into them}. */
    public long[] coalesceStats() {
        Decapsulator r = rxPath;
        return r == null ? new long[2] : r.coalesceStats();
    }

    /** UDP_GRO trains received and the datagrams cut out of them: {trains, datagrams}. */
    public long[] groStats() {
        Decapsulator r = rxPath;
        return r == null ? new long[2] : r.groStats();
    }

    /** How often sending backed up and TAP reads stopped; whether they are stopped now. */
    public long tapPauses() {
        return tapPauses;
    }

    /** How often the TAP had dropped out of the event loop's epoll set and was registered again. */
    public long tapReRegistrations() {
        return tapReRegistrations;
    }

    public boolean tapPaused() {
        return tapPaused;
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

    /** Writes a frame to the TAP behind a zero virtio-net header, gathered with writev (no copy). */
    private boolean writeTap(ByteBuf c, int frameOff, int frameLen) {
        iov.set(ValueLayout.JAVA_LONG, 16, address(c, frameOff, frameLen));
        iov.set(ValueLayout.JAVA_LONG, 24, frameLen);
        return tap.writev(iov.address(), 2) >= 0;
    }

    /** The receive pipeline alone, for tests: checks and delivers datagrams to {@code out}. */
    public ChannelInboundHandlerAdapter receiveHandler(Decapsulator.FrameOutput out) {
        rxPath = new Decapsulator(peers, vni, localMac, maxFrame, this::sink, out, null);
        return rxPath.handler();
    }

    /** One VXLAN payload through the receive checks to the output, for JMH (after {@link #receiveHandler}). */
    int decap(PeerCounters counters, ByteBuf c, int off, int len) {
        return rxPath.decap(counters, c, off, len);
    }

    static long address(ByteBuf b, int index, int length) {
        if (DirectBufferMemory.addressable(b)) return DirectBufferMemory.address(b, index, length);
        return MemorySegment.ofBuffer(b.internalNioBuffer(index, length)).address();
    }

    // ---------------------------------------------------------------- transmit: TAP -> wire

    /** The TAP's descriptor in the transmit loop's epoll set: readable means frames to encapsulate. */
    private final class TapHandle implements EpollIoHandle {
        private final FileDescriptor fd = new FileDescriptor(tap.fd());

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            if (event instanceof io.netty.channel.epoll.EpollIoEvent e && e.ops().contains(EpollIoOps.EPOLLERR)) {
                // The TAP was deleted under us (tun reports EPOLLERR once detached, and epoll reports it whatever
                // the interest set): stop polling it instead of spinning on it; the agent's next resync sees the
                // device missing and reopens the datapath.
                LOG.warning(tap.name() + " went away (deleted?): not reading it until the agent reopens it");
                tapGone = true;
                try {
                    registration.cancel();
                } catch (Exception ex) {
                    LOG.fine("cancel TAP registration: " + ex);
                }
                return;
            }
            readTap();
        }

        @Override
        public void close() {
            // the TapDevice owns and closes the descriptor
        }
    }

    /** On the transmit loop: reads a batch of frames, encapsulates and writes them, flushes each socket once. */
    private void readTap() {
        int n = 0;
        while (n < READ_BATCH && running && !tapPaused) {
            int len = tap.read(scratchAddress, scratch.capacity());
            if (len < 0) break;
            n++;
            try {
                txPath.encap(scratch, len);
            } catch (RuntimeException e) {
                peers.unknown().drop(DropReason.TX_ERROR);
            }
        }
        flushTx();
    }

    private void flushTx() {
        int d = dirty;
        dirty = 0;
        for (int i = 0; d != 0; i++, d >>>= 1) {
            if ((d & 1) != 0) tx[i].flush();
        }
    }

    private void enqueue(int q, Object msg) {
        Channel c = tx[q];
        c.write(msg, c.voidPromise());
        dirty |= 1 << q;
        if (!c.isWritable() && !tapPaused) {
            // The socket is backed up: stop reading the TAP (its queue then holds, and drops, as a NIC's
            // would) until the channel drains. Paused before the flush: a flush that drains the channel fires
            // the writability event inside it, and one seen while not yet paused was lost, leaving the TAP
            // unread for good (a TCP stream to a kernel node stalled that way).
            tapPaused = true;
            tapPauses++;
            tapRegistration.submit(PAUSED);
            c.flush();
            if (tapPaused && allWritable()) resumeTap();
        }
    }

    private final class TxHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (tapPaused && allWritable()) resumeTap();
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

    /**
     * Reading resumes through epoll (the TAP is registered level-triggered, so queued frames show as readable
     * at once), never by calling readTap() from here: this may run inside a flush inside readTap(), whose
     * frame is still in the scratch buffer.
     */
    private void resumeTap() {
        tapPaused = false;
        try {
            tapRegistration.submit(EpollIoOps.EPOLLIN);
        } catch (Exception e) {
            reRegisterTap("after a pause", e);
        }
    }

    /**
     * Defence in depth: if the TAP is ever found missing from the epoll set (epoll_ctl MOD fails), it is
     * registered anew, and {@link #checkTapRegistration} re-asserts the registration every second so a TAP that
     * drops out of the set is picked up again. (It did drop out, every time reading was paused, while pausing was
     * done with {@code submit(NONE)}: see {@link #PAUSED}.)
     */
    private void reRegisterTap(String when, Exception cause) {
        LOG.warning("re-registering " + tap.name() + " with the event loop " + when + " (" + cause.getMessage() + ")");
        tapReRegistrations++;
        try {
            tapRegistration.cancel();
        } catch (Exception ignored) {
            // already gone from the epoll set
        }
        try {
            IoRegistration r = txLoop.register(new TapHandle()).getNow();
            if (r == null) throw new IllegalStateException("TAP registration did not complete on the event loop");
            tapRegistration = r;
            r.submit(tapPaused ? PAUSED : EpollIoOps.EPOLLIN);
        } catch (Exception ex) {
            LOG.warning("cannot register " + tap.name() + " again: " + ex);
        }
    }

    /** Every second on the transmit loop: the TAP is still in the epoll set with the interest it should have. */
    private void checkTapRegistration() {
        if (!running || tapGone || tapRegistration == null) return;
        try {
            tapRegistration.submit(tapPaused ? PAUSED : EpollIoOps.EPOLLIN);
        } catch (Exception e) {
            reRegisterTap("(periodic check)", e);
        }
    }

    private boolean allWritable() {
        for (Channel c : tx) if (!c.isWritable()) return false;
        return true;
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public synchronized void close() {
        running = false;
        if (tapRegistration != null && txLoop != null) {
            try {
                txLoop.submit(() -> tapRegistration.cancel()).await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Close the sockets through their channels before the loops go: shutting the group down alone was
        // seen to leave them open (about one time in three after the TAP had been deleted under the loop),
        // and then the reopened datapath could not bind the VXLAN port again.
        closeChannel(rx);
        if (tx != null) for (Channel c : tx) closeChannel(c);
        shutdownGroup();
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
        if (coalesceBuffer != null) { // the loops are gone: nothing coalesces into it any more
            coalesceBuffer.release();
            coalesceBuffer = null;
        }
    }

    private static void closeChannel(Channel c) {
        if (c == null || !c.isOpen()) return;
        var f = c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (c.isOpen()) LOG.warning("socket " + c.localAddress() + " did not close: " + (f ? c.closeFuture().cause() : "timed out"));
    }

    private void shutdownGroup() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
