package io.weft.agent.trace;

import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packets a trace sends: pings from inside the source pod's namespace, so they take the pod's own way (its veth,
 * the bridge, the node's forwarding) rather than the host's. Small ones first, then full-size ones with DF set, which
 * pass only where every hop's MTU allows the overlay's.
 */
final class Probe {
    static final int SMALL = 3;
    static final int BIG = 2;
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private Probe() {}

    /** What one batch of pings did; {@code error} when ping could not run. */
    private record Sent(int transmitted, int received, String error) {}

    /**
     * Sends {@link #SMALL} small and {@link #BIG} full-size pings ({@code mtu} bytes of IPv4) from {@code pod} to
     * {@code dst}, each batch given at most two seconds.
     */
    static NodeTrace.Probe send(Netns pod, Ipv4Address dst, int mtu) {
        Sent small = ping(pod, dst, SMALL, 56, false);
        Sent big = ping(pod, dst, BIG, mtu - 28, true);
        String note = small.error() != null ? "ping could not run in the pod's namespace: " + small.error() : null;
        return new NodeTrace.Probe(small.transmitted(), small.received(), mtu, big.transmitted(), big.received(), note);
    }

    private static Sent ping(Netns pod, Ipv4Address dst, int count, int payload, boolean dontFragment) {
        List<String> cmd = new ArrayList<>(List.of("ping", "-n", "-q", "-c", Integer.toString(count), "-i", "0.2",
                "-w", "2", "-s", Integer.toString(payload)));
        if (dontFragment) cmd.addAll(List.of("-M", "do"));
        cmd.add(dst.toString());
        IpRunner.Result r;
        try {
            r = IpRunner.run(pod.exec(cmd), null);
        } catch (IpException e) {
            return new Sent(0, 0, e.getMessage());
        }
        Matcher m = SUMMARY.matcher(r.stdout());
        if (!m.find()) return new Sent(0, 0, (r.stderr() + " " + r.stdout()).strip());
        return new Sent(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), null);
    }
}
