package io.weft.agent.trace;

import io.weft.core.net.Ipv4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;

/**
 * Captures one flow on several interfaces at once with libpcap (through pcap4j), as an operator would with one
 * tcpdump per hop: each hop gets its own handle with a kernel filter for the flow (for the underlay, the VXLAN
 * datagrams whose inner addresses are the flow's), and a thread counting what it sees. Only this class touches pcap4j,
 * and nothing loads it before a trace asks for a capture, so an agent that never traces never maps libpcap.
 */
public final class HopCapture implements AutoCloseable {
    /** One interface to capture on; {@code encap}: the flow crosses it inside VXLAN on UDP {@code port}. */
    public record Spec(String iface, boolean encap) {}

    private static final int SNAPLEN = 256;
    /** How long a hop's thread sleeps when its ring holds no packet; the kernel stamps each packet as it arrives. */
    private static final long IDLE_MILLIS = 5;
    /** pcap4j says at INFO level which libpcap it loaded, on every first trace: keep that out of weftd's log. */
    private static final java.util.logging.Logger PCAP4J_LOG = java.util.logging.Logger.getLogger("org.pcap4j");

    private final List<Tap> taps = new ArrayList<>();
    private volatile boolean running = true;

    private final class Tap {
        final Spec spec;
        final PcapHandle handle;
        final String error;
        final int keep;
        final List<byte[]> frames = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(1);
        long fwd;
        long fwdBig;
        long rev;
        long revBig;
        Instant fwdFirst;
        Instant revFirst;

        Tap(Spec spec, PcapHandle handle, String error, int keep) {
            this.spec = spec;
            this.handle = handle;
            this.error = error;
            this.keep = keep;
        }

        void run(FlowMatch match) {
            try {
                while (running) {
                    byte[] f;
                    try {
                        f = handle.getNextRawPacket();
                    } catch (org.pcap4j.core.NotOpenException e) {
                        return;
                    }
                    if (f == null) {
                        Thread.sleep(IDLE_MILLIS);
                        continue;
                    }
                    Instant ts = handle.getTimestamp().toInstant();
                    int way = match.classify(f, f.length, spec.encap());
                    synchronized (this) {
                        if ((way & FlowMatch.FORWARD) != 0) {
                            if (fwd++ == 0) fwdFirst = ts;
                            if ((way & FlowMatch.FULL_SIZE) != 0) fwdBig++;
                        } else if ((way & FlowMatch.REVERSE) != 0) {
                            if (rev++ == 0) revFirst = ts;
                            if ((way & FlowMatch.FULL_SIZE) != 0) revBig++;
                        }
                        if (way != FlowMatch.NONE && frames.size() < keep) frames.add(f);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }

        synchronized NodeTrace.Count count() {
            if (error != null) return new NodeTrace.Count(0, 0, null, 0, 0, null, error);
            return new NodeTrace.Count(fwd, fwdBig, fwdFirst == null ? null : fwdFirst.toString(), rev, revBig,
                    revFirst == null ? null : revFirst.toString(), null);
        }
    }

    private HopCapture() {}

    /**
     * Opens a handle on every hop and starts counting the flow {@code src → dst} (and back); a hop that cannot be
     * opened is reported in its count. {@code keepFrames}: how many matching frames per hop to keep for {@link #frames}.
     * Returns once every handle is open, so that a probe sent afterwards is seen from its first packet.
     */
    public static HopCapture start(List<Spec> hops, Ipv4Address src, Ipv4Address dst, int port, int keepFrames) {
        useDebiansLibpcap();
        if (PCAP4J_LOG.getLevel() == null) PCAP4J_LOG.setLevel(java.util.logging.Level.WARNING);
        HopCapture c = new HopCapture();
        FlowMatch match = new FlowMatch(src.value(), dst.value());
        for (Spec s : hops) {
            PcapHandle h = null;
            String error = null;
            try {
                h = new PcapHandle.Builder(s.iface()).snaplen(SNAPLEN)
                        .promiscuousMode(PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS).timeoutMillis(50)
                        .immediateMode(true).build();
                h.setFilter(filter(s, src, dst, port), BpfProgram.BpfCompileMode.OPTIMIZE);
                // non-blocking: a blocked pcap read does not return when no packet comes (TPACKET_V3 ignores the read
                // timeout in immediate mode), and a handle must not be closed under a thread still reading it
                h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
            } catch (PcapNativeException | org.pcap4j.core.NotOpenException | RuntimeException e) {
                error = "cannot capture on " + s.iface() + ": " + e.getMessage();
                if (h != null) h.close();
                h = null;
            } catch (LinkageError e) {
                error = "cannot capture on " + s.iface() + ": libpcap is not installed on this node (Debian: apt-get install"
                        + " libpcap0.8): " + e;
                if (h != null) h.close();
                h = null;
            }
            c.taps.add(c.new Tap(s, h, error, keepFrames));
        }
        for (Tap t : c.taps) {
            if (t.handle == null) {
                t.done.countDown();
                continue;
            }
            Thread.ofPlatform().daemon().name("weft-trace-" + t.spec.iface()).start(() -> t.run(match));
        }
        return c;
    }

    /** The kernel filter for one hop: the flow's packets, or the VXLAN datagrams that carry them. */
    public static String filter(Spec s, Ipv4Address src, Ipv4Address dst, int port) {
        if (!s.encap()) return "ip and host " + src + " and host " + dst;
        // inner IPv4 header: UDP header (8) + VXLAN header (8) + inner Ethernet (14) past the start of UDP
        String a = Long.toString(src.unsigned());
        String b = Long.toString(dst.unsigned());
        return "udp dst port " + port + " and udp[28:2] = 0x0800 and ((udp[42:4] = " + a + " and udp[46:4] = " + b
                + ") or (udp[42:4] = " + b + " and udp[46:4] = " + a + "))";
    }

    /** Stops every capture and waits for the counting threads to finish. */
    public void stop() {
        running = false;
        for (Tap t : taps) {
            try {
                t.done.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One count per hop, in the order the hops were given. */
    public List<NodeTrace.Count> counts() {
        return taps.stream().map(Tap::count).toList();
    }

    /** The frames kept for hop {@code i} (up to keepFrames), as captured (cut at 256 bytes). */
    public List<byte[]> frames(int i) {
        Tap t = taps.get(i);
        synchronized (t) {
            return List.copyOf(t.frames);
        }
    }

    @Override
    public void close() {
        stop();
        for (Tap t : taps) {
            // a thread that has not finished still reads its handle: leave that one open rather than crash libpcap
            if (t.handle != null && t.done.getCount() == 0) t.handle.close();
        }
    }

    /**
     * pcap4j asks JNA for "pcap", which finds {@code libpcap.so} only where the -dev package put that link; Debian's
     * libpcap0.8 (in the node image) installs {@code libpcap.so.0.8}. Points pcap4j at it unless told otherwise.
     */
    public static void useDebiansLibpcap() {
        if (System.getProperty("org.pcap4j.core.pcapLibName") != null) return;
        for (String p : List.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8", "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8",
                "/usr/lib/x86_64-linux-gnu/libpcap.so", "/usr/lib/aarch64-linux-gnu/libpcap.so", "/usr/lib/libpcap.so.1")) {
            if (Files.exists(Path.of(p))) {
                System.setProperty("org.pcap4j.core.pcapLibName", p);
                return;
            }
        }
    }
}
