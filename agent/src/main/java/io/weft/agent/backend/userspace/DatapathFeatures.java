package io.weft.agent.backend.userspace;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.unix.Errors;
import io.weft.core.libc.Libc;
import io.weft.core.tap.TapDevice;
import java.io.IOException;

/**
 * What the kernel offers the userspace datapath, asked once per start, and why each speed feature is off where it
 * is: turned off by the operator, refused by the kernel (with the errno it gave), or dropped after a send failed.
 * Netty's {@code Epoll.isAvailable()} / {@code unavailabilityCause()} is the model: the answer and its cause are
 * kept, and a cause is an errno taken from the call or the exception, never read out of a message text.
 *
 * <p>Probing happens on the thread that starts the datapath; afterwards only {@link #udpGsoSendFailed} changes a
 * feature, on the transmit loop. Readers on other threads (logs, /metrics) see a recent {@link #summary()}.
 */
final class DatapathFeatures {
    /** TAP offloads asked for: checksums and TCP segmentation over IPv4 and IPv6 (with ECN) handed over undone. */
    static final int TAP_OFFLOADS = TapDevice.TUN_F_CSUM | TapDevice.TUN_F_TSO4 | TapDevice.TUN_F_TSO6
            | TapDevice.TUN_F_TSO_ECN;
    private static final int SOL_UDP = 17;
    private static final int UDP_GRO = 104;

    private volatile String tapOffload = "off";
    private volatile String rxCoalesce = "off";
    private volatile boolean udpGso;
    private volatile String udpGsoCause = "";
    private volatile boolean udpGro;
    private volatile String udpGroCause = "";
    private volatile int txSockets;
    private volatile int loops;

    /** The datapath runs on Netty's native epoll transport; without it nothing can start. */
    static void requireEpoll() throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's native epoll transport is not available: " + Epoll.unavailabilityCause());
        }
    }

    /**
     * Asks the TAP for checksum and TCP segmentation offload (TUNSETOFFLOAD). Off when not wanted (every frame is
     * then read whole and checksummed) or when the kernel refuses. Returns whether it is on.
     */
    boolean probeTapOffload(TapDevice tap, boolean wanted) {
        if (!wanted) {
            tap.setOffload(0);
            tapOffload = "off (WEFT_USERSPACE_OFFLOAD=0)";
            return false;
        }
        int errno = tap.setOffload(TAP_OFFLOADS);
        tapOffload = errno == 0 ? "csum,tso4,tso6" : "off (TUNSETOFFLOAD: " + error(errno) + ")";
        return errno == 0;
    }

    /**
     * Receive coalescing into superframes for the TAP: TCP with TAP offloads wanted; UDP too where the kernel takes
     * GSO_UDP_L4 in a virtio-net header (Linux 6.2; before, it refuses such a frame with EINVAL and the datagrams
     * would be lost). The kernel knows TUN_F_USO4 exactly when it does, so the TAP is asked for it once and set back:
     * weft does not take UDP superframes from the TAP. Returns whether UDP datagrams are joined.
     */
    boolean probeRxCoalesce(TapDevice tap, boolean wanted, boolean tapOffloadOn) {
        if (!wanted) {
            rxCoalesce = "off";
            return false;
        }
        int errno = tap.setOffload(TAP_OFFLOADS | TapDevice.TUN_F_USO4 | TapDevice.TUN_F_USO6);
        tap.setOffload(tapOffloadOn ? TAP_OFFLOADS : 0);
        rxCoalesce = errno == 0 ? "tcp4,tcp6,udp4,udp6" : "tcp4,tcp6 (udp off: TUNSETOFFLOAD USO " + error(errno) + ", Linux 6.2+)";
        return errno == 0;
    }

    /**
     * UDP GSO sends: wanted, the TAP hands over superframes to cut (only with its offloads on), and the kernel has
     * UDP_SEGMENT (Linux 4.18; Netty probes it once). Returns whether it is on.
     */
    boolean probeUdpGso(boolean wanted, boolean tapOffloadOn) {
        if (!wanted) {
            udpGsoCause = "WEFT_USERSPACE_GSO=0";
        } else if (!tapOffloadOn) {
            udpGsoCause = "no TSO superframes from the TAP";
        } else if (!EpollDatagramChannel.isSegmentedDatagramPacketSupported()) {
            udpGsoCause = "the kernel has no UDP_SEGMENT (Linux 4.18+)";
        } else {
            udpGsoCause = "";
        }
        udpGso = udpGsoCause.isEmpty();
        return udpGso;
    }

    /**
     * UDP_GRO on the VXLAN socket {@code fd}: wanted, and the kernel takes the option (Linux 5.0). Netty sets it from
     * the channel option but keeps no errno; a refusal is asked again here for its errno. Returns whether it is on.
     */
    boolean probeUdpGro(boolean wanted, boolean nettySetIt, int fd) {
        if (!wanted) {
            udpGroCause = "WEFT_USERSPACE_UDP_GRO=0";
        } else if (!nettySetIt) {
            Libc.Result r = Libc.setsockoptInt(fd, SOL_UDP, UDP_GRO, 1);
            if (!r.failed()) Libc.setsockoptInt(fd, SOL_UDP, UDP_GRO, 0); // trains Netty does not expect: off again
            udpGroCause = r.failed() ? "setsockopt UDP_GRO: " + error(r.errno()) : "Netty did not set UDP_GRO";
        } else {
            udpGroCause = "";
        }
        udpGro = udpGroCause.isEmpty();
        return udpGro;
    }

    void sizes(int txSockets, int loops) {
        this.txSockets = txSockets;
        this.loops = loops;
    }

    boolean udpGso() {
        return udpGso;
    }

    /**
     * A send on the transmit loop failed. EINVAL or EIO on a UDP GSO send means the kernel or the device takes the
     * socket option but not the send (a device without checksum offload, say): GSO goes off and segments leave
     * one datagram each from then on. Returns whether it went off now.
     */
    boolean udpGsoSendFailed(Throwable cause) {
        int errno = errno(cause);
        if (!udpGso || (errno != Libc.EINVAL && errno != Libc.EIO)) return false;
        udpGsoCause = "a GSO send failed: " + error(errno);
        udpGso = false;
        return true;
    }

    /** The errno of a native I/O failure anywhere in {@code t}'s cause chain, or 0. */
    static int errno(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof Errors.NativeIoException e) return Math.abs(e.expectedErr());
        }
        return 0;
    }

    private static String error(int errno) {
        return Libc.strerror(errno) + " (errno " + errno + ")";
    }

    /** One line for logs and the {@code weft_userspace_info} metric: each feature's state and, when off, why. */
    String summary() {
        return "tap-offload=" + tapOffload + " rx-coalesce=" + rxCoalesce
                + " udp-gso=" + (udpGso ? "on" : "off (sendmmsg; " + udpGsoCause + ")")
                + " rx=recvmmsg" + (udpGro ? "+udp-gro" : " (udp-gro off: " + udpGroCause + ")")
                + " tx-sockets=" + txSockets + " loops=" + loops;
    }
}
