package io.weft.agent.backend.userspace;

import io.weft.agent.capture.FrameSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;
import io.weft.core.tap.TapDevice;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.VirtioNetHdr;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The userspace VTEP: frames the kernel routes into the TAP are wrapped in VXLAN and sent to the peer whose
 * VtepMAC is the frame's destination; VXLAN datagrams received on the port are checked and their inner
 * frames written to the TAP.
 *
 * <p>Parts: {@link TapPort} reads and writes the TAP, {@link UdpPort} owns the sockets, {@link Encapsulator} and
 * {@link Decapsulator} do the work per packet, {@link DatapathFeatures} says what the kernel offers. Threads: one
 * or two Netty epoll event loops ({@link #loops()}) and no hand-off between them. The receive loop owns the socket
 * on the VXLAN port and writes the inner frames to the TAP. The transmit loop (the same one when there is one)
 * reads the TAP in batches, wraps the frames (segmenting TSO superframes) and flushes each send socket once per
 * batch. When a send socket backs up, the loop stops reading the TAP.
 */
public final class VxlanDatapath implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VxlanDatapath.class.getName());
    /**
     * @param vni         VXLAN network identifier
     * @param port        UDP port to listen on and send to (8472)
     * @param local       address to send from (this node's PublicIP, or PublicIPv6 for flannel-v6.<VNI>: its family is
     *                    the sockets' family); null = any IPv4 address
     * @param localMac    our VtepMAC: the only unicast destination accepted from the wire
     * @param mtu         overlay MTU; longer inner frames are dropped as oversize
     * @param offload     take TSO superframes and partial checksums from the TAP
     * @param gso         send segment runs with UDP GSO when the kernel supports it
     * @param txSockets   how many send sockets (ephemeral source ports) to spread flows over
     */
    public record Options(int vni, int port, IpAddress local, MacAddress localMac, int mtu, boolean offload,
                          boolean gso, int txSockets, int socketBuffer) {
        public static Options defaults(int vni, int port, IpAddress local, MacAddress mac, int mtu) {
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
    private final int maxFrame;
    private final DatapathFeatures features = new DatapathFeatures();

    private EventLoopGroup group;
    private UdpPort udp;
    private TapPort tapPort;
    private volatile FrameSink sink;
    private volatile Decapsulator rxPath;
    private ByteBuf coalesceBuffer;

    public VxlanDatapath(TapDevice tap, Options opt, PeerTable peers) {
        this.tap = tap;
        this.opt = opt;
        this.peers = peers;
        this.maxFrame = opt.mtu() + EthernetFrame.HEADER_LENGTH;
    }

    /** Binds the sockets and starts moving packets. Throws {@link java.net.BindException} if the port is taken. */
    public synchronized void start() throws IOException, InterruptedException {
        DatapathFeatures.requireEpoll();
        boolean offloadOn = features.probeTapOffload(tap, opt.offload());
        features.probeUdpGso(opt.gso(), offloadOn);
        boolean udpCoalesce = features.probeRxCoalesce(tap, opt.offload(), offloadOn);
        RxCoalescer coalescer = null;
        if (opt.offload()) {
            coalesceBuffer = alloc.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
            coalescer = new RxCoalescer(coalesceBuffer, udpCoalesce, (a, l) -> tapPort.writeWithHeader(a, l));
        }
        Decapsulator receive = new Decapsulator(peers, opt.vni(), opt.localMac().value(), maxFrame, this::sink,
                (c, off, len, csum, gso) -> tapPort.write(c, off, len, csum, gso), coalescer);
        int loops = loops();
        // One or two loops: with two, one receives and writes to the TAP, the other reads the TAP and sends;
        // neither direction hands packets across threads.
        group = new MultiThreadIoEventLoopGroup(loops, r -> {
            Thread t = new Thread(r, "weft-vxlan-loop");
            t.setDaemon(true);
            return t;
        }, EpollIoHandler.newFactory());
        try {
            IoEventLoop rxLoop = (IoEventLoop) group.next();
            IoEventLoop txLoop = loops == 1 ? rxLoop : (IoEventLoop) group.next();
            Encapsulator encap = new Encapsulator(peers, opt.vni(), alloc, this::sink, features::udpGso,
                    Math.max(1, opt.txSockets()), (q, d) -> udp.send(q, d));
            tapPort = new TapPort(tap, txLoop, alloc, (buf, len) -> {
                try {
                    encap.encap(buf, len);
                } catch (RuntimeException e) {
                    peers.unknown().drop(DropReason.TX_ERROR);
                }
            }, () -> {
                encap.flush();
                udp.flush();
            });
            udp = new UdpPort(rxLoop, txLoop, alloc, opt, udpGroWanted(), receive.handler(), features, peers,
                    () -> tapPort.pause(), () -> tapPort.resume());
            receive.cutTrains(udp.udpGro());
            rxPath = receive;
            features.sizes(udp.sockets(), loops);
            LOG.info("userspace VXLAN datapath on " + tap.name() + " port " + opt.port() + ": " + features.summary());
            tapPort.start();
        } catch (Throwable e) {
            close();
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

    /** Which speed features are on, and why the others are off, for logs and /metrics. */
    public String features() {
        return features.summary();
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

    /** Inner packets received with a partial checksum (from a kernel peer over a veth) that the TAP finished. */
    public long partialChecksums() {
        Decapsulator r = rxPath;
        return r == null ? 0 : r.partialChecksums();
    }

    /** How often sending backed up and TAP reads stopped. */
    public long tapPauses() {
        TapPort t = tapPort;
        return t == null ? 0 : t.pauses();
    }

    /** How often the TAP had dropped out of the event loop's epoll set and was registered again. */
    public long tapReRegistrations() {
        TapPort t = tapPort;
        return t == null ? 0 : t.reRegistrations();
    }

    public boolean tapPaused() {
        TapPort t = tapPort;
        return t != null && t.paused();
    }

    public boolean gsoActive() {
        return features.udpGso();
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

    @Override
    public synchronized void close() {
        if (tapPort != null) tapPort.stop();
        if (udp != null) udp.close();
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
        // the loops are gone: nothing reads into these buffers any more
        if (tapPort != null) tapPort.release();
        if (coalesceBuffer != null) {
            coalesceBuffer.release();
            coalesceBuffer = null;
        }
    }
}
