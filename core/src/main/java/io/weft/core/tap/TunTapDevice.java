package io.weft.core.tap;

import io.weft.core.libc.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A TAP (Ethernet frames, {@link TapDevice}) or TUN (IP packets, {@link TunDevice}) device opened through
 * {@code /dev/net/tun} with {@code IFF_NO_PI | IFF_VNET_HDR}: every frame or packet read or written is preceded by a
 * 10-byte virtio-net header, which is how the kernel hands over TSO superframes and partial checksums once
 * {@link #setOffload} has enabled them (wireguard-go's tun/offload_linux.go uses a TUN the same way).
 *
 * <p>The device is not persistent: it disappears when the descriptor is closed (or the process dies), so no
 * stale device survives the agent. The descriptor is non-blocking; {@link #awaitReadable} waits with poll(2).
 * Addresses, MTU and link state are set through the iproute layer, not here.
 */
public abstract sealed class TunTapDevice implements AutoCloseable permits TapDevice, TunDevice {
    // _IOW('T', n, int): dir=1<<30, size=4<<16, type='T'<<8
    public static final long TUNSETIFF = 0x400454caL;
    public static final long TUNSETOFFLOAD = 0x400454d0L;
    public static final long TUNSETVNETHDRSZ = 0x400454d8L;
    public static final long TUNSETPERSIST = 0x400454cbL;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    /** UDP segmentation offload (Linux 6.2, with GSO_UDP_L4 in the virtio-net header both ways). */
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    public static final int VNET_HDR_LEN = 10;

    private final String name;
    private final int fd;
    private final Arena arena = Arena.ofAuto(); // freed by GC: a reader may still be in poll(2) when close() runs
    private final MemorySegment pollFd;
    private volatile boolean closed;
    private int offloads;

    TunTapDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
        this.pollFd = arena.allocate(8, 8);
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
    }

    /**
     * Opens (creating if needed) the device {@code name} of {@code kind} ({@link #IFF_TAP} or {@link #IFF_TUN}) with
     * a virtio-net header on every packet; returns its descriptor.
     */
    static int openFd(String name, short kind) throws IOException {
        String what = kind == IFF_TAP ? "TAP" : "TUN";
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length > 15) throw new IOException(what + " name \"" + name + "\" must be 1..15 bytes");
        Libc.Result o = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (o.failed()) throw new IOException("cannot open /dev/net/tun: " + o.error()
                + (o.errno() == Libc.ENOENT ? " (load the tun module or pass /dev/net/tun to the container)" : ""));
        int fd = (int) o.value();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(40);
            MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (kind | IFF_NO_PI | IFF_VNET_HDR));
            Libc.Result r = Libc.ioctl(fd, TUNSETIFF, ifr);
            if (r.failed()) {
                Libc.close(fd);
                String hint = r.errno() == Libc.EBUSY ? " (another process holds it, or a non-" + what + " device has that name)"
                        : r.errno() == Libc.EINVAL ? " (a device of another kind has that name)"
                        : r.errno() == Libc.EPERM ? " (needs CAP_NET_ADMIN)" : "";
                throw new IOException("TUNSETIFF " + name + ": " + r.error() + hint);
            }
            MemorySegment sz = a.allocateFrom(ValueLayout.JAVA_INT, VNET_HDR_LEN);
            r = Libc.ioctl(fd, TUNSETVNETHDRSZ, sz);
            if (r.failed()) {
                Libc.close(fd);
                throw new IOException("TUNSETVNETHDRSZ " + name + ": " + r.error());
            }
        }
        return fd;
    }

    /**
     * Says which offloads weft can take from the kernel (TUN_F_* flags; 0 = none: every frame arrives whole
     * and checksummed). Returns 0, or the errno with which the kernel refused them (offloads then stay off), so
     * that a caller can say why a feature is off.
     */
    public int setOffload(int flags) {
        Libc.Result r = Libc.ioctl(fd, TUNSETOFFLOAD, flags);
        if (r.failed()) {
            Libc.ioctl(fd, TUNSETOFFLOAD, 0L);
            offloads = 0;
            return r.errno();
        }
        offloads = flags;
        return 0;
    }

    /**
     * Keeps the device, with its addresses, routes and neighbours, when the last descriptor closes ({@code true}), or
     * lets it go with it; returns 0, or the errno with which the kernel refused.
     */
    public int persist(boolean keep) {
        Libc.Result r = Libc.ioctl(fd, TUNSETPERSIST, keep ? 1L : 0L);
        return r.failed() ? r.errno() : 0;
    }

    public int offloads() {
        return offloads;
    }

    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Waits up to {@code timeoutMillis} for a frame; true if one can be read. */
    public boolean awaitReadable(int timeoutMillis) {
        if (closed) return false;
        int r = Libc.poll(pollFd.address(), 1, timeoutMillis);
        return r > 0;
    }

    /** Reads one frame (virtio-net header first) into native memory; returns its length, or -1 if none is ready. */
    public int read(long address, int capacity) {
        return (int) Libc.read(fd, address, capacity);
    }

    /** Writes one frame (virtio-net header first) from native memory; returns bytes written or -1. */
    public int write(long address, int length) {
        return (int) Libc.write(fd, address, length);
    }

    /** Writes a frame gathered from an iovec array the caller laid out; returns bytes written or -1. */
    public int writev(long iov, int count) {
        return (int) Libc.writev(fd, iov, count);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Libc.close(fd);
    }
}
