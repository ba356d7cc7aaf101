package io.weft.agent.trace;

import io.weft.agent.cli.DurationConverter;
import io.weft.agent.debug.AgentOptions;
import io.weft.agent.debug.DebugClient;
import io.weft.agent.status.NodeStatus;
import io.weft.agent.status.StatusCommand;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.Ipv6Address;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weftd trace SRC DST}: where pod traffic from SRC to DST goes and where it stops. This node's agent (the node
 * of SRC or of DST) works out its part of the path from its tables and captures on each hop; the other node's agent
 * does the same when it can be asked over its authenticated debug listener ({@code --cert/--key/--cacert}); the source
 * node sends a probe from the source pod (or, with {@code --watch}, both only watch the pods' own traffic). Exit code
 * 0 when every hop saw the packets both ways, 1 when they stop somewhere, 2 when the trace could not run.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Follow pod traffic from SRC to DST hop by hop on both nodes, and say where and why it stops.")
public final class TraceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC", description = "The source pod's IP.")
    String src;

    @Parameters(index = "1", paramLabel = "DST", description = "The destination pod's IP.")
    String dst;

    @Option(names = "--duration", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long to capture, 3s..30s (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--watch", description = "Send no probe: count the pods' own traffic between SRC and DST.")
    boolean watch;

    @Option(names = "--peer-port", defaultValue = "10268",
            description = "The port of the other node's --debug-listen (default: ${DEFAULT-VALUE}).")
    int peerPort;

    @Option(names = "--peer-agent", description = "The other node's debug API as https://HOST:PORT, instead of its public IP and --peer-port.")
    String peerAgent;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Mixin
    AgentOptions agentOptions = new AgentOptions();

    /** A node refused the trace because of what was asked (an address no pod has): one line, exit code 2. */
    private static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }

    /** One node's trace request in flight: its client and the answer's lines. */
    private record Asked(String node, DebugClient.Response response, BufferedReader lines) {}

    @Override
    public Integer call() {
        Ipv4Address s;
        Ipv4Address d;
        try {
            s = address("SRC", src);
            d = address("DST", dst);
            if (!output.equals("text") && !output.equals("json")) throw new IllegalArgumentException("-o " + output + ": give text or json");
            if (duration.toSeconds() < 3 || duration.toSeconds() > 30) throw new IllegalArgumentException("--duration must be 3s..30s");
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        DebugClient local;
        NodeStatus status;
        try {
            local = agentOptions.client();
            status = StatusCommand.fetch(local);
        } catch (IllegalArgumentException | StatusCommand.Unreachable e) {
            return fail(e.getMessage());
        }
        if (status.lease() == null) return fail("this node's weftd is not ready (" + status.notReady() + "): nothing to trace yet");
        if (ipv6Only(status)) {
            return fail("this cluster's pod network " + status.network() + " is IPv6 only: " + IPV4_ONLY);
        }
        String refused = TraceHandler.refuse(status, s, d);
        if (refused != null) return fail(refused);

        Ipv4Cidr own = Ipv4Cidr.parse(status.lease().subnet());
        boolean localIsSource = own.contains(s);
        boolean sameNode = own.contains(s) && own.contains(d);
        List<String> notes = new ArrayList<>();
        DebugClient remote = sameNode ? null : remote(status, localIsSource ? d : s, notes);
        int secs = (int) duration.toSeconds();
        NodeTrace sourcePart;
        NodeTrace destinationPart = null;
        try {
            if (localIsSource) {
                Asked far = remote == null ? null : ask(remote, d.toString(), s, d, secs + 1, false, notes);
                Asked near = null;
                try {
                    near = ask(local, "this node", s, d, secs, !watch, null);
                } finally {
                    if (far != null && (near == null)) far.response().close();
                }
                if (near == null) return 2;
                sourcePart = finish(near, notes);
                if (far != null) destinationPart = finish(far, notes);
            } else {
                Asked near = ask(local, "this node", s, d, secs + 1, false, null);
                if (near == null) return 2;
                Asked far = remote == null ? null : ask(remote, s.toString(), s, d, secs, !watch, notes);
                if (far == null && !watch) {
                    notes.add("no probe was sent (it comes from the source pod's node, which was not asked): only traffic "
                            + "SRC sends by itself during the capture is counted; ping " + d + " from the pod now, or use --watch");
                }
                destinationPart = finish(near, notes);
                sourcePart = far == null ? null : finish(far, notes);
                if (sourcePart == null) {
                    return print(s, d, null, destinationPart, notes, Diagnosis.of(null, destinationPart));
                }
            }
        } catch (IOException e) {
            return fail("the trace broke off: " + e.getMessage());
        } catch (BadInput e) {
            return fail(e.getMessage());
        }
        if (sourcePart == null) return fail("this node's agent gave no trace");
        return print(s, d, sourcePart, destinationPart, notes, Diagnosis.of(sourcePart, destinationPart));
    }

    private int print(Ipv4Address s, Ipv4Address d, NodeTrace source, NodeTrace destination, List<String> notes,
                      Diagnosis.Result r) {
        if (output.equals("json")) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("source", source);
            all.put("destination", destination);
            all.put("notes", notes);
            all.put("result", r);
            try {
                System.out.println(TraceHandler.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        } else {
            System.out.print(TraceText.render(s.toString(), d.toString(), source, destination, notes, r));
        }
        return r.healthy() ? 0 : 1;
    }

    /** The other node's debug API, or null (with a note saying why it is not asked). */
    private DebugClient remote(NodeStatus status, Ipv4Address other, List<String> notes) {
        NodeStatus.Peer peer = status.peerFor(other.toString());
        if (peer == null && peerAgent == null) {
            notes.add("no node holds a lease for " + other + "'s subnet, so there is no other node to ask");
            return null;
        }
        String target = peerAgent != null ? peerAgent : "https://" + peer.publicIp() + ":" + peerPort;
        if (!agentOptions.hasCredentials()) {
            notes.add("the node of " + other + " (" + target + ") was not asked: give --cert, --key and --cacert (its weftd"
                    + " must serve --debug-listen); only this node's side is shown");
            return null;
        }
        try {
            return agentOptions.client(target);
        } catch (IllegalArgumentException e) {
            notes.add("the node of " + other + " was not asked: " + e.getMessage());
            return null;
        }
    }

    /**
     * Asks one node for its part and waits until its capture runs (the first line). Returns null when it cannot be
     * asked: a note says why for the other node ({@code notes} given), an error line for this one.
     */
    private Asked ask(DebugClient c, String who, Ipv4Address s, Ipv4Address d, int seconds, boolean probe, List<String> notes) {
        String target = TraceHandler.PATH + "?src=" + s + "&dst=" + d + "&seconds=" + seconds + (probe ? "&probe=1" : "");
        String problem;
        try {
            DebugClient.Response r = c.get(target, Duration.ofSeconds(5));
            // a trace that just ended (or was given up) may still hold the node's one trace slot for a moment
            for (int i = 0; r.status() == 409 && i < 6; i++) {
                r.close();
                sleep(500);
                r = c.get(target, Duration.ofSeconds(5));
            }
            if (r.status() == 200) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
                if (lines.readLine() != null) return new Asked(who, r, lines);
                problem = "the agent at " + c.agent() + " closed the connection before its capture started";
            } else if (r.status() == 400 || r.status() == 404) {
                throw new BadInput((notes == null ? "" : "the node of " + who + " says: ") + r.text());
            } else {
                problem = "the agent at " + c.agent() + " said " + r.status() + ": " + r.text();
            }
            r.close();
        } catch (IOException e) {
            problem = AgentOptions.unreachable(c.agent(), e);
        }
        if (notes == null) {
            System.err.println("weftd trace: " + problem);
        } else {
            System.err.println("weftd trace: could not ask the node of " + who + ": " + problem);
            notes.add("the node of " + who + " was not asked: " + problem);
        }
        return null;
    }

    /** The node's second line (after the empty lines it sends while capturing): its part with what the capture saw. */
    private static NodeTrace finish(Asked a, List<String> notes) throws IOException {
        try (DebugClient.Response r = a.response()) {
            String line = a.lines().readLine();
            while (line != null && line.isEmpty()) line = a.lines().readLine();
            if (line == null) {
                notes.add(a.node() + "'s agent ended the trace without its results");
                return null;
            }
            return TraceHandler.JSON.readValue(line, NodeTrace.class);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Ipv4Address address(String what, String text) {
        try {
            return Ipv4Address.parse(text);
        } catch (IllegalArgumentException e) {
            if (isIpv6(text)) throw new IllegalArgumentException(what + " " + text + " is an IPv6 address: " + IPV4_ONLY);
            throw new IllegalArgumentException(what + " " + text + " is not an IPv4 address");
        }
    }

    /** What an operator tracing IPv6 is told: the trace draws IPv4 paths, and where IPv6 pod packets can be seen. */
    static final String IPV4_ONLY = "weftd trace follows IPv4 pod traffic only; tcpdump -i flannel-v6.1 (or weftd capture on"
            + " the userspace datapath) shows IPv6 pod packets";

    private static boolean isIpv6(String text) {
        try {
            Ipv6Address.parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int fail(String message) {
        System.err.println("weftd trace: " + message);
        return 2;
    }

    /** The status names the IPv4 Network, or the IPv6 one when the cluster has no IPv4 Network. */
    private static boolean ipv6Only(NodeStatus status) {
        try {
            return status.network() != null && IpCidr.parseLenient(status.network()) instanceof Ipv6Cidr;
        } catch (IllegalArgumentException e) {
            return false; // not a network at all: the checks after this one name what is wrong
        }
    }
}
