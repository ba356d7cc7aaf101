package io.weft.lab.traffic;

import io.weft.lab.jvm.ChildJvm;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Drives {@link TrafficTool} from a test: a sink in one namespace, a source in another, and what each end saw
 * compared, so that every test moving TCP or UDP between pods checks delivery the same way.
 */
public final class Transfer {
    private Transfer() {}

    /** The datagrams a UDP sink counted: intact ones, and ones whose CRC did not match. */
    public record Udp(int good, int corrupted) {}

    /** TrafficTool in a namespace, as a child JVM whose stdout the caller reads. */
    public static Process tool(String ns, String... args) throws IOException {
        return new ProcessBuilder(ChildJvm.command(ns, null, List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                TrafficTool.class.getName(), List.of(args))).redirectErrorStream(true).start();
    }

    /**
     * A TCP stream of {@code bytes} from namespace {@code fromNs} to {@code toAddress}:{@code port}, a sink in
     * {@code toNs}; the byte count and SHA-256 the sink received must be what the source sent. {@code onStall} adds
     * what to look at when the source never finishes.
     */
    public static void tcp(String fromNs, String toNs, String toAddress, int port, long bytes, Callable<String> onStall)
            throws Exception {
        Process sink = tool(toNs, "tcp-sink", Integer.toString(port), Long.toString(bytes));
        ChildJvm.await(sink, "LISTENING", 30);
        Process src = tool(fromNs, "tcp-source", toAddress, Integer.toString(port), Long.toString(bytes));
        String sent;
        try {
            sent = ChildJvm.await(src, "SENT", 120);
        } catch (AssertionError e) {
            sink.destroyForcibly();
            String more;
            try {
                more = onStall.call();
            } catch (Exception d) {
                more = "\n(and showing more failed: " + d + ")";
            }
            throw new AssertionError(e.getMessage() + more, e);
        }
        String got = ChildJvm.await(sink, "RECEIVED", 30);
        String want = sent.substring("SENT ".length());
        String have = got.substring("RECEIVED ".length());
        if (!want.equals(have)) {
            throw new AssertionError("TCP " + fromNs + " -> " + toAddress + ": bytes and SHA-256 sent [" + want
                    + "], received [" + have + "]");
        }
    }

    /** {@link #tcp(String, String, String, int, long, Callable)} with nothing more to show on a stall. */
    public static void tcp(String fromNs, String toNs, String toAddress, int port, long bytes) throws Exception {
        tcp(fromNs, toNs, toAddress, port, bytes, () -> "");
    }

    /** {@code count} datagrams of {@code size} bytes from {@code fromNs} to a sink in {@code toNs} at {@code toAddress}. */
    public static Udp udp(String fromNs, String toNs, String toAddress, int port, int count, int size) throws Exception {
        Process sink = tool(toNs, "udp-sink", Integer.toString(port), Integer.toString(count), "3000");
        ChildJvm.await(sink, "LISTENING", 30);
        Process src = tool(fromNs, "udp-source", toAddress, Integer.toString(port), Integer.toString(count),
                Integer.toString(size));
        ChildJvm.await(src, "SENT", 60);
        String[] f = ChildJvm.await(sink, "UDP", 30).split(" ");
        return new Udp(Integer.parseInt(f[1]), Integer.parseInt(f[2]));
    }
}
