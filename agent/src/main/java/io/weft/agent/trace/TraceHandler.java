package io.weft.agent.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.debug.DebugHandler;
import io.weft.agent.debug.DebugRequest;
import io.weft.agent.debug.DebugResponse;
import io.weft.agent.status.NodeStatus;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code GET /debug/trace?src=A&dst=B[&seconds=N][&probe=1]}: this node's part of {@code weftd trace A B}. Answers
 * two JSON lines: first the hops as this node's tables decide them, once a capture runs on every one of them (the
 * caller starts the other node's part, or the probe, only then); then, after N seconds (1..30, default 5), the same
 * hops with what each saw, the probe's outcome (with {@code probe=1}, on the source node) and the drop counters that
 * rose meanwhile. One trace at a time (409 while one runs). On the debug API: it captures pods' traffic.
 */
public final class TraceHandler implements DebugHandler {
    private static final Logger LOG = Logger.getLogger(TraceHandler.class.getName());
    public static final String PATH = "/debug/trace";
    // a client of another weft version reads what it knows of the answer
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final AtomicBoolean RUNNING = new AtomicBoolean();

    private final Netns ns;
    private final Supplier<NodeStatus> status;

    public TraceHandler(Netns ns, Supplier<NodeStatus> status) {
        this.ns = ns;
        this.status = status;
    }

    @Override
    public void handle(DebugRequest req, DebugResponse res) throws IOException {
        Ipv4Address src;
        Ipv4Address dst;
        int seconds;
        try {
            src = Ipv4Address.parse(req.query().getOrDefault("src", ""));
            dst = Ipv4Address.parse(req.query().getOrDefault("dst", ""));
            seconds = req.intParam("seconds", 5);
        } catch (IllegalArgumentException e) {
            res.text(400, "give src and dst as IPv4 addresses and seconds as a number: " + e.getMessage());
            return;
        }
        if (seconds < 1 || seconds > 30) {
            res.text(400, "seconds must be 1..30");
            return;
        }
        NodeStatus s = status.get();
        if (s.lease() == null || s.backend() == null) {
            res.text(503, "this node's agent is not ready (" + s.notReady() + "): nothing to trace yet");
            return;
        }
        String refused = refuse(s, src, dst);
        if (refused != null) {
            res.text(400, refused);
            return;
        }
        if (!RUNNING.compareAndSet(false, true)) {
            res.text(409, "another trace is running on this node; try again in a few seconds");
            return;
        }
        try {
            trace(req, res, s, src, dst, seconds, "1".equals(req.query().get("probe")));
        } finally {
            RUNNING.set(false);
        }
    }

    /** Why this node cannot take part in tracing {@code src → dst}, or null. */
    static String refuse(NodeStatus s, Ipv4Address src, Ipv4Address dst) {
        Ipv4Cidr network = Ipv4Cidr.parse(s.network());
        for (Ipv4Address a : List.of(src, dst)) {
            if (!network.contains(a)) return a + " is outside the pod network " + network + ": give two pod addresses";
        }
        Ipv4Cidr own = Ipv4Cidr.parse(s.lease().subnet());
        if (!own.contains(src) && !own.contains(dst)) {
            return "neither " + src + " nor " + dst + " is on this node (" + own + "): ask the node of one of them";
        }
        if (s.backend() != null && "wireguard".equals(s.backend().type())) {
            return "this node runs the wireguard backend (" + s.backend().device() + ", " + s.backend().datapath()
                    + " datapath): weftd trace does not draw WireGuard paths yet; weftd status shows each peer with its key,"
                    + " whether the device holds it and its counters, and tcpdump -i " + s.backend().device()
                    + ("userspace".equals(s.backend().datapath()) ? " (or weftd capture)" : "") + " shows the pods' packets";
        }
        return null;
    }

    private void trace(DebugRequest req, DebugResponse res, NodeStatus s, Ipv4Address src, Ipv4Address dst, int seconds,
                       boolean probe) throws IOException {
        long start = System.nanoTime();
        PathFinder.Path path = new PathFinder(ns, s).find(src, dst);
        NodeTrace t = path.trace();
        if (!path.localPodKnown()) {
            String bridge = t.hops().stream().filter(h -> h.kind().equals(NodeTrace.Hop.BRIDGE)).map(NodeTrace.Hop::iface)
                    .findFirst().orElse("the bridge");
            res.text(404, "no pod has " + path.localPod() + " on this node (" + s.lease().subnet() + "): nothing answers ARP"
                    + " for it on " + bridge);
            return;
        }
        List<HopCapture.Spec> specs = new ArrayList<>();
        for (NodeTrace.Hop h : t.hops()) specs.add(new HopCapture.Spec(h.iface(), h.encap()));
        DropCounters before = DropCounters.read(ns, s);
        LOG.info("trace " + src + " -> " + dst + " for " + req.caller() + ": capturing on " + specs.size() + " hops, "
                + seconds + " s" + (probe ? ", with a probe" : ""));
        try (HopCapture capture = HopCapture.start(specs, src, dst, t.port(), 0)) {
            OutputStream out = res.stream("application/x-ndjson");
            line(out, t);
            NodeTrace.Probe p = null;
            if (probe && !"destination".equals(t.role())) {
                waitUntil(out, start + 300_000_000L);
                p = path.podNetns().isPresent() ? Probe.send(path.podNetns().get(), dst, t.mtu())
                        : new NodeTrace.Probe(0, 0, t.mtu(), 0, 0, "no probe sent: the source pod's network namespace is"
                        + " not visible to weftd under /var/run/netns (where CNI runtimes put pods' namespaces); ping "
                        + dst + " from the pod yourself while weftd trace --watch runs");
            }
            waitUntil(out, start + seconds * 1_000_000_000L);
            capture.stop();
            List<NodeTrace.Count> counts = capture.counts();
            List<NodeTrace.Hop> counted = new ArrayList<>();
            for (int i = 0; i < t.hops().size(); i++) counted.add(t.hops().get(i).withCount(counts.get(i)));
            DropCounters after = DropCounters.read(ns, status.get());
            line(out, t.withResults(counted, p, after.netfilterRoseSince(before), after.userspaceRoseSince(before)));
        }
    }

    private static void line(OutputStream out, NodeTrace t) throws IOException {
        out.write(JSON.writeValueAsBytes(t));
        out.write('\n');
        out.flush();
    }

    /**
     * Waits until {@code nanos}, writing an empty line every half second: a caller that went away (the other node
     * refused the trace, or the operator pressed Ctrl-C) makes a write fail, which ends this trace at once instead of
     * holding the node's one trace slot for the rest of its capture.
     */
    private static void waitUntil(OutputStream out, long nanos) throws IOException {
        while (true) {
            long ms = (nanos - System.nanoTime()) / 1_000_000;
            if (ms <= 0) return;
            try {
                Thread.sleep(Math.min(ms, 500));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            out.write('\n');
            out.flush();
        }
    }
}
