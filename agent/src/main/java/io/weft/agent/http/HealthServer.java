package io.weft.agent.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.weft.agent.metrics.Metrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * /healthz (the agent's loop is alive), /readyz (routes programmed, subnet.env written, lease held; else why not) and /metrics: what probes and
 * scrapers need, nothing that shows traffic, so it may listen on every address ({@code --healthz-ip 0.0.0.0}).
 */
public final class HealthServer implements AutoCloseable {
    /**
     * The threads that read and answer a connection, here and on the debug API: platform threads, not virtual ones.
     * The first time a virtual thread waits on a socket the JDK starts its poller, a thread that stays in a system call
     * for the JVM's life, and HotSpot waits ~0.3 s for such threads before every exit: a userspace node would stay dark
     * that much longer on each graceful restart once a probe had been slow.
     */
    public static final java.util.concurrent.ThreadFactory CONNECTION_THREADS =
            Thread.ofPlatform().daemon().name("weft-conn-", 0).factory();

    /**
     * Connections open at once; more are closed as they arrive. The JDK's server reads a request's head on a thread of
     * its own, so without a bound every client that sends half a request and waits holds a thread (~120 KiB) for as
     * long as it likes, and anyone who can reach the port could grow the agent until the kernel kills it. Probes and
     * scrapers need a handful.
     */
    static final int MAX_CONNECTIONS = 64;
    /** Seconds a request may take to arrive in full before its connection is closed, for the same reason. */
    static final int MAX_REQUEST_SECONDS = 10;

    static {
        // The JDK's server reads these once, when the JVM's first server is made (here, in weftd); an operator's own
        // -Djdk.httpserver.maxConnections / -Dsun.net.httpserver.maxReqTime (WEFT_JAVA_OPTS) win.
        if (System.getProperty("jdk.httpserver.maxConnections") == null) {
            System.setProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
        }
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        }
    }

    private final HttpServer server;

    public HealthServer(String ip, int port, BooleanSupplier healthy, BooleanSupplier ready, Metrics metrics) throws IOException {
        this(ip, port, healthy, () -> ready.getAsBoolean() ? List.of() : List.of("routes or subnet.env not in place yet"), metrics);
    }

    /** @param notReady why the node is not ready (empty: it is); /readyz answers 503 with these reasons, one a line */
    public HealthServer(String ip, int port, BooleanSupplier healthy, Supplier<List<String>> notReady, Metrics metrics)
            throws IOException {
        try {
            server = HttpServer.create(new InetSocketAddress(ip, port), 16);
        } catch (BindException e) {
            throw new IOException("cannot listen on " + ip + ":" + port + " for /healthz: " + e.getMessage(), e);
        }
        server.createContext("/healthz", ex -> reply(ex, healthy.getAsBoolean() ? 200 : 503,
                healthy.getAsBoolean() ? "ok\n" : "agent loop stalled\n", "text/plain"));
        server.createContext("/readyz", ex -> {
            List<String> why = notReady.get();
            reply(ex, why.isEmpty() ? 200 : 503, why.isEmpty() ? "ready\n" : "not ready: " + String.join("\nnot ready: ", why) + "\n",
                    "text/plain");
        });
        server.createContext("/metrics", ex -> reply(ex, 200, metrics.render(), "text/plain; version=0.0.4"));
        // Anything that shows traffic lives on the debug API (the node's socket, or TLS with client certificates),
        // never here: this port is open to the network for probes and scrapes.
        server.createContext("/debug", ex -> reply(ex, 403, "the debug API is not served on the health port: on the node, "
                + "use weftd's socket (weftd capture does); from elsewhere, weftd's --debug-listen with client certificates\n",
                "text/plain"));
        server.setExecutor(Executors.newCachedThreadPool(CONNECTION_THREADS));
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int code, String body, String type) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
