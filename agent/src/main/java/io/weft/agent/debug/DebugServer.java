package io.weft.agent.debug;

import io.weft.agent.metrics.MetricsSource;
import io.weft.agent.metrics.MetricsWriter;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's debug API: the endpoints that show traffic or change state ({@code /debug/capture}, and what later
 * joins it). It is never served on the health port. Who may call it is decided by the listener a request arrives
 * on, never by anything the request says: the node's local socket ({@link LocalSocketListener}, root only by its
 * file mode) or, when the operator turns it on, a TLS listener that demands a client certificate signed by the
 * operator's CA ({@link TlsListener}).
 *
 * <p>Each connection carries one request (HTTP/1.1, GET only) and closes after the answer, so a handler may stream
 * for as long as it needs. The request head is bounded in size and time before any handler runs.
 */
public final class DebugServer implements AutoCloseable, MetricsSource {
    private static final Logger LOG = Logger.getLogger(DebugServer.class.getName());
    static final int MAX_HEAD = 8192;
    static final int MAX_DRAIN = 65536;
    static final int MAX_CONNECTIONS = 16;

    private final Map<String, DebugHandler> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> connections = new ConcurrentHashMap<>();
    private final List<AutoCloseable> listeners = new ArrayList<>();

    public void register(String path, DebugHandler handler) {
        routes.put(path, handler);
    }

    /** Serves the debug API on {@code listener} too; closed with this server. */
    public synchronized void add(AutoCloseable listener) {
        listeners.add(listener);
    }

    /**
     * Requests per listener and outcome ({@code served}, {@code refused}: a bad or unknown request, {@code denied}: no
     * valid client certificate, {@code busy}: closed at once, all connection slots taken).
     */
    public Map<String, Long> outcomes() {
        Map<String, Long> m = new java.util.TreeMap<>();
        outcomes.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    void count(String listener, String outcome) {
        outcomes.computeIfAbsent(listener + "/" + outcome, k -> new AtomicLong()).incrementAndGet();
    }

    /**
     * Reads one request from {@code in}, answers it on {@code out}. {@code caller} names who asked, for the log;
     * {@code headDone} is run once the request head is in (the listener stops its head timer then).
     */
    void serve(String listener, String caller, InputStream in, OutputStream out, Runnable headDone) throws IOException {
        DebugResponse res = new DebugResponse(out);
        String head;
        try {
            head = readHead(in);
        } catch (HeadTooLarge e) {
            count(listener, "refused");
            res.text(431, "request head larger than " + MAX_HEAD + " bytes");
            return;
        }
        headDone.run();
        if (head == null) return; // the client went away before asking anything
        DebugRequest req = DebugRequest.parse(head.lines().findFirst().orElse(""), caller);
        if (req == null) {
            count(listener, "refused");
            res.text(400, "not an HTTP/1 request");
            return;
        }
        DebugHandler h = routes.get(req.path());
        if (h == null) {
            count(listener, "refused");
            res.text(404, "no debug endpoint " + req.path() + " (there are: " + String.join(", ", new java.util.TreeSet<>(routes.keySet())) + ")");
            return;
        }
        if (!"GET".equals(req.method())) {
            count(listener, "refused");
            res.text(405, "use GET");
            return;
        }
        try {
            h.handle(req, res);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "debug " + req.path() + " failed: " + e, e);
            if (!res.started()) res.text(500, "internal error: " + e.getMessage());
        }
        count(listener, res.status() < 400 ? "served" : "refused");
        LOG.info("debug " + req.path() + " for " + caller + " over the " + listener + " listener: " + res.status());
    }

    /**
     * Takes one of {@code listener}'s {@link #MAX_CONNECTIONS} connection slots, which a listener does before it gives a
     * connection a thread: a connection holds its thread until its head arrives or its deadline passes, so without a
     * bound a flood of idle connections would grow the agent without limit. Each listener has slots of its own, so a
     * flood at the TLS port does not lock root on the node out of the local socket. False (counted {@code busy}) when
     * all are taken.
     */
    boolean admit(String listener) {
        if (slots(listener).tryAcquire()) return true;
        count(listener, "busy");
        return false;
    }

    /** Gives back a slot {@link #admit} took, once its connection is closed. */
    void release(String listener) {
        slots(listener).release();
    }

    private Semaphore slots(String listener) {
        return connections.computeIfAbsent(listener, k -> new Semaphore(MAX_CONNECTIONS));
    }

    /**
     * The request line and headers up to the blank line; null on a connection closed before any byte. A head over
     * {@link #MAX_HEAD} is still read to its end (up to {@link #MAX_DRAIN}) so that the 431 answer reaches a client
     * that is still sending, instead of a reset.
     */
    private static String readHead(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw, 512);
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        int lineLength = 0;
        long total = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (total > MAX_HEAD) throw new HeadTooLarge();
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (++total > MAX_DRAIN) throw new HeadTooLarge();
            if (c == '\r') continue;
            if (c == '\n') {
                if (lineLength == 0) {
                    if (total > MAX_HEAD) throw new HeadTooLarge();
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
                lineLength = 0;
            } else {
                lineLength++;
            }
            if (total <= MAX_HEAD) b.write(c);
        }
    }

    private static final class HeadTooLarge extends IOException {
        HeadTooLarge() {
            super("request head too large");
        }
    }

    /** {@code weft_debug_requests_total{listener,outcome}}. */
    @Override
    public void writeMetrics(MetricsWriter w) {
        w.counter("weft_debug_requests_total", "Requests to the debug API by listener and outcome "
                + "(denied: no valid client certificate; busy: every connection slot taken)");
        for (Map.Entry<String, Long> e : outcomes().entrySet()) {
            String[] k = e.getKey().split("/", 2);
            w.sample("weft_debug_requests_total", e.getValue(), "listener", k[0], "outcome", k[1]);
        }
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable l : listeners) {
            try {
                l.close();
            } catch (Exception e) {
                LOG.fine("closing a debug listener: " + e);
            }
        }
        listeners.clear();
    }
}
