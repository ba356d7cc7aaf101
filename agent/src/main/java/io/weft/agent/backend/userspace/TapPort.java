package io.weft.agent.backend.userspace;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.weft.agent.backend.device.DeviceEpollHandle;
import io.weft.core.tap.TapDevice;
import io.weft.core.packet.DirectBufferMemory;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.VirtioNetHdr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The TAP side of the datapath. Reading: the TAP's descriptor sits in the transmit loop's epoll set (an
 * {@link EpollIoHandle}, level-triggered); readable means frames to encapsulate, read in batches into one scratch
 * buffer and handed to {@link FrameReader}, after which {@code afterBatch} flushes the send sockets once. While the
 * send sockets back up, reading pauses (the TAP's queue then holds, and drops, as a NIC's would). Writing: a
 * decapsulated frame goes out with writev behind a virtio-net header laid out here (no copy), or a frame that
 * already has its header (a coalesced superframe) with one write.
 */
final class TapPort {
    private static final Logger LOG = Logger.getLogger(TapPort.class.getName());
    private static final int READ_BATCH = 64;
    /**
     * The TAP's interest while reading is paused: errors only. Not {@code EpollIoOps.NONE}: in Netty 4.2.18 a
     * registration's {@code submit(NONE)} deletes the fd from the epoll set but keeps the registration's state
     * "added", so the next {@code submit(EPOLLIN)} tries epoll_ctl MOD and fails with ENOENT, and the TAP was
     * never read again after the first send backpressure (a TCP stream to a kernel node stalled at ~68 MB).
     */
    private static final EpollIoOps PAUSED = EpollIoOps.EPOLLERR;

    /** Takes one frame read from the TAP: virtio-net header + frame at index 0 of {@code buf}. */
    @FunctionalInterface
    interface FrameReader {
        void frame(ByteBuf buf, int length);
    }

    private final TapDevice tap;
    private final IoEventLoop loop;
    private final FrameReader reader;
    private final Runnable afterBatch;
    private final ByteBuf scratch;
    private final long scratchAddress;
    // Owned by the receive loop: the iovec pair for TAP writes (virtio header + frame).
    private final MemorySegment iov;
    private final MemorySegment hdr;

    private IoRegistration registration;
    private volatile boolean running;
    private volatile boolean paused;
    private volatile long pauses;
    private volatile long reRegistrations;
    private boolean gone; // the TAP was deleted under us (transmit loop only)

    TapPort(TapDevice tap, IoEventLoop loop, ByteBufAllocator alloc, FrameReader reader, Runnable afterBatch) {
        this.tap = tap;
        this.loop = loop;
        this.reader = reader;
        this.afterBatch = afterBatch;
        this.scratch = alloc.directBuffer(VirtioNetHdr.LENGTH + 65536 + 64);
        this.scratchAddress = DirectBufferMemory.address(scratch, 0, scratch.capacity());
        Arena arena = Arena.ofAuto();
        this.iov = arena.allocate(32, 8);
        this.hdr = arena.allocate(16, 8);
        iov.set(ValueLayout.JAVA_LONG, 0, hdr.address());
        iov.set(ValueLayout.JAVA_LONG, 8, VirtioNetHdr.LENGTH);
    }

    /** Registers the TAP with the transmit loop and starts reading; a check every second keeps it registered. */
    void start() throws InterruptedException {
        running = true;
        registration = loop.register(handle()).sync().getNow();
        loop.submit(() -> registration.submit(EpollIoOps.EPOLLIN)).sync();
        loop.scheduleAtFixedRate(this::checkRegistration, 1, 1, TimeUnit.SECONDS);
    }

    String name() {
        return tap.name();
    }

    // ---------------------------------------------------------------- writing (receive loop)

    /**
     * Writes a frame behind a virtio-net header, gathered with writev (no copy). {@code csum} is 0 for a frame
     * whose checksums are complete, else where its transport checksum starts and lies ({@link #csum}): the header
     * then says NEEDS_CSUM and the kernel finishes it (or trusts it, as it trusts a local sender's). A TCP
     * superframe ({@code gsoSize} > 0, checksum partial; TCPv4 or TCPv6 by the IP version) is marked for the kernel
     * to cut into segments of that size where it must.
     */
    boolean write(ByteBuf c, int frameOff, int frameLen, int csum, int gsoSize) {
        long frame = address(c, frameOff, frameLen);
        if (csum == 0) {
            hdr.set(ValueLayout.JAVA_LONG, 0, 0L);
            hdr.set(ValueLayout.JAVA_SHORT, 8, (short) 0);
        } else {
            int start = csum >>> 16;
            int offset = csum & 0xffff;
            int gso = VirtioNetHdr.GSO_NONE;
            int hdrLen = start + offset + 2; // what tun copies into the skb's linear part
            if (gsoSize > 0) {
                int tcpFlags = DirectBufferMemory.u8(frame + start + 13);
                int family = DirectBufferMemory.u8(frame + EthernetFrame.HEADER_LENGTH) >>> 4 == 6 ? VirtioNetHdr.GSO_TCPV6
                        : VirtioNetHdr.GSO_TCPV4;
                gso = family | ((tcpFlags & 0x80) != 0 ? VirtioNetHdr.GSO_ECN : 0); // CWR
                hdrLen = start + (DirectBufferMemory.u8(frame + start + 12) >>> 4) * 4;
            }
            hdr.set(ValueLayout.JAVA_BYTE, 0, (byte) VirtioNetHdr.F_NEEDS_CSUM);
            hdr.set(ValueLayout.JAVA_BYTE, 1, (byte) gso);
            hdr.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) hdrLen);
            hdr.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) gsoSize);
            hdr.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) start);
            hdr.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, (short) offset);
        }
        iov.set(ValueLayout.JAVA_LONG, 16, frame);
        iov.set(ValueLayout.JAVA_LONG, 24, frameLen);
        return tap.writev(iov.address(), 2) >= 0;
    }

    /** The native address of a direct buffer's bytes; through its NIO view where Netty knows none (tests' buffers). */
    static long address(ByteBuf b, int index, int length) {
        if (DirectBufferMemory.addressable(b)) return DirectBufferMemory.address(b, index, length);
        return MemorySegment.ofBuffer(b.internalNioBuffer(index, length)).address();
    }

    /** The {@code csum} argument of {@link #write} for a checksum at {@code offset} into a header at {@code start}. */
    static int csum(int start, int offset) {
        return start << 16 | offset;
    }

    /** Writes a frame that carries its own virtio-net header (native address and length). */
    boolean writeWithHeader(long address, int length) {
        return tap.write(address, length) >= 0;
    }

    // ---------------------------------------------------------------- reading (transmit loop)

    /** The TAP's descriptor in the transmit loop's epoll set. */
    private DeviceEpollHandle handle() {
        return new DeviceEpollHandle(tap, this::readBatch, () -> gone = true);
    }

    private void readBatch() {
        int n = 0;
        while (n < READ_BATCH && running && !paused) {
            int len = tap.read(scratchAddress, scratch.capacity());
            if (len < 0) break;
            n++;
            reader.frame(scratch, len);
        }
        afterBatch.run();
    }

    /** Stops reading until {@link #resume}: the send sockets are backed up. Transmit loop only. */
    void pause() {
        if (paused) return;
        paused = true;
        pauses++;
        registration.submit(PAUSED);
    }

    /**
     * Reading resumes through epoll (the TAP is registered level-triggered, so queued frames show as readable
     * at once), never by reading from here: this may run inside a flush inside {@link #readBatch}, whose
     * frame is still in the scratch buffer.
     */
    void resume() {
        paused = false;
        try {
            registration.submit(EpollIoOps.EPOLLIN);
        } catch (Exception e) {
            reRegister("after a pause", e);
        }
    }

    boolean paused() {
        return paused;
    }

    /** How often sending backed up and TAP reads stopped. */
    long pauses() {
        return pauses;
    }

    /** How often the TAP had dropped out of the event loop's epoll set and was registered again. */
    long reRegistrations() {
        return reRegistrations;
    }

    /**
     * Defence in depth: if the TAP is ever found missing from the epoll set (epoll_ctl MOD fails), it is
     * registered anew, and {@link #checkRegistration} re-asserts the registration every second so a TAP that
     * drops out of the set is picked up again. (It did drop out, every time reading was paused, while pausing was
     * done with {@code submit(NONE)}: see {@link #PAUSED}.)
     */
    private void reRegister(String when, Exception cause) {
        LOG.warning("re-registering " + tap.name() + " with the event loop " + when + " (" + cause.getMessage() + ")");
        reRegistrations++;
        try {
            registration.cancel();
        } catch (Exception ignored) {
            // already gone from the epoll set
        }
        try {
            IoRegistration r = loop.register(handle()).getNow();
            if (r == null) throw new IllegalStateException("TAP registration did not complete on the event loop");
            registration = r;
            r.submit(paused ? PAUSED : EpollIoOps.EPOLLIN);
        } catch (Exception ex) {
            LOG.warning("cannot register " + tap.name() + " again: " + ex);
        }
    }

    /** Every second on the transmit loop: the TAP is still in the epoll set with the interest it should have. */
    private void checkRegistration() {
        if (!running || gone || registration == null) return;
        try {
            registration.submit(paused ? PAUSED : EpollIoOps.EPOLLIN);
        } catch (Exception e) {
            reRegister("(periodic check)", e);
        }
    }

    /** Stops reading and leaves the epoll set; the loops must be gone before {@link #release}. */
    void stop() {
        running = false;
        if (registration == null) return;
        try {
            loop.submit(() -> registration.cancel()).await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Frees the scratch buffer once no loop reads into it. */
    void release() {
        if (scratch.refCnt() > 0) scratch.release();
    }
}
