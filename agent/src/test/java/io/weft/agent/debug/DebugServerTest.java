package io.weft.agent.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.http.ClosedByServer;
import io.weft.agent.tls.PemTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The debug API's listeners as a caller meets them: the node's socket (root only, one agent per node) and the TLS
 * listener that serves only clients with a certificate from the operator's CA. A refused caller never reaches a
 * handler, so it changes nothing.
 */
@Timeout(60)
class DebugServerTest {
    static TestPki pki;
    static final PemTls.Flags CLIENT = new PemTls.Flags("--cacert", "--cert", "--key");

    @BeforeAll
    static void certificates() throws Exception {
        pki = new TestPki();
    }

    @AfterAll
    static void cleanup() throws Exception {
        pki.close();
    }

    private static DebugServer server(AtomicInteger calls) {
        DebugServer s = new DebugServer();
        s.register("/debug/echo", (req, res) -> {
            calls.incrementAndGet();
            res.text(200, "echo " + req.query().get("x") + " for " + req.caller());
        });
        return s;
    }

    @Test
    void theSocketIsRootOnlyAndServesRequests() throws Exception {
        Path dir = Files.createTempDirectory("weft-debug-");
        Path sock = dir.resolve("run/weftd.sock");
        AtomicInteger calls = new AtomicInteger();
        try (DebugServer s = server(calls)) {
            LocalSocketListener.open(sock, s);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)), "socket mode");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())),
                    "a directory weftd makes for its socket is its own");
            DebugClient c = new DebugClient(sock.toString(), null);
            try (DebugClient.Response r = c.get("/debug/echo?x=a%20b", Duration.ofSeconds(2))) {
                assertEquals(200, r.status());
                assertTrue(r.text().startsWith("echo a b for uid "), "the caller is named by its user");
            }
            try (DebugClient.Response r = c.get("/debug/nothing", Duration.ofSeconds(2))) {
                assertEquals(404, r.status());
                assertTrue(r.text().contains("/debug/echo"), "a 404 lists what there is");
            }
            assertEquals(1, calls.get());
        }
        assertFalse(Files.exists(sock), "the socket goes with the agent");
    }

    @Test
    void badRequestsAreRefusedBeforeAnyHandlerRuns() throws Exception {
        Path sock = Files.createTempDirectory("weft-debug-").resolve("weftd.sock");
        AtomicInteger calls = new AtomicInteger();
        try (DebugServer s = server(calls)) {
            LocalSocketListener.open(sock, s);
            assertTrue(raw(sock, "POST /debug/echo HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 405 "));
            assertTrue(raw(sock, "hello\r\n\r\n").startsWith("HTTP/1.1 400 "));
            assertTrue(raw(sock, "GET /debug/echo HTTP/1.1\r\nX: " + "y".repeat(9000) + "\r\n\r\n").startsWith("HTTP/1.1 431 "));
            assertEquals(0, calls.get());
            assertEquals(3L, s.outcomes().get("local/refused"));
        }
    }

    @Test
    void aSecondAgentOnTheNodeIsRefusedAndALeftoverSocketIsReplaced() throws Exception {
        Path sock = Files.createTempDirectory("weft-debug-").resolve("weftd.sock");
        // what an agent killed with SIGKILL leaves: the socket file, nobody listening
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(sock));
        dead.close();
        assertTrue(Files.exists(sock));
        try (DebugServer first = server(new AtomicInteger()); DebugServer second = server(new AtomicInteger())) {
            LocalSocketListener.open(sock, first);
            IOException e = assertThrows(IOException.class, () -> LocalSocketListener.open(sock, second));
            assertTrue(e.getMessage().startsWith("another weftd is running on this node"), e.getMessage());
            try (DebugClient.Response r = new DebugClient(sock.toString(), null).get("/debug/echo", Duration.ofSeconds(2))) {
                assertEquals(200, r.status(), "the first agent still serves its socket");
            }
        }
    }

    @Test
    void tlsServesOnlyClientsWithACertificateFromTheOperatorsCa() throws Exception {
        SSLContext serverTls = PemTls.server(pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem"),
                new PemTls.Flags("--debug-client-ca-file", "--debug-tls-cert-file", "--debug-tls-key-file"));
        AtomicInteger calls = new AtomicInteger();
        try (DebugServer s = server(calls)) {
            TlsListener l = TlsListener.open(new InetSocketAddress("127.0.0.1", 0), serverTls, s);
            String url = "https://127.0.0.1:" + l.port();

            SSLContext good = PemTls.client(pki.file("ca.pem"), pki.file("client.pem"), pki.file("client.key"), CLIENT);
            try (DebugClient.Response r = new DebugClient(url, good).get("/debug/echo?x=1", Duration.ofSeconds(5))) {
                assertEquals(200, r.status());
                assertTrue(r.text().contains("CN=operator from 127.0.0.1"), "the caller is named by its certificate");
            }

            SSLContext noCert = PemTls.client(pki.file("ca.pem"), null, null, CLIENT);
            SSLContext rogue = PemTls.client(pki.file("ca.pem"), pki.file("rogue.pem"), pki.file("rogue.key"), CLIENT);
            for (SSLContext bad : new SSLContext[] {noCert, rogue}) {
                assertThrows(IOException.class, () -> {
                    try (DebugClient.Response r = new DebugClient(url, bad).get("/debug/echo?x=2", Duration.ofSeconds(5))) {
                        r.text();
                    }
                });
            }
            awaitCount(s, "tls/denied", 2);
            assertEquals(1, calls.get(), "refused callers never reached the handler");
            assertEquals(1L, s.outcomes().get("tls/served"));
        }
    }

    /**
     * Connections that never send a request hold at most {@link DebugServer#MAX_CONNECTIONS} threads per listener, more
     * are closed at once (counted busy), the idle ones are closed at their head deadline, and then the API serves again.
     * A flood at the TLS port, where anyone may connect, leaves the node's own socket working.
     */
    @Test
    @Timeout(60)
    void idleConnectionsAreBoundedPerListenerAndClosedAtTheirDeadline() throws Exception {
        SSLContext serverTls = PemTls.server(pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem"),
                new PemTls.Flags("--debug-client-ca-file", "--debug-tls-cert-file", "--debug-tls-key-file"));
        Path sock = Files.createTempDirectory("weft-debug-").resolve("weftd.sock");
        AtomicInteger calls = new AtomicInteger();
        List<Socket> idle = new ArrayList<>();
        try (DebugServer s = server(calls)) {
            TlsListener l = TlsListener.open(new InetSocketAddress("127.0.0.1", 0), serverTls, s);
            LocalSocketListener.open(sock, s);
            long threadsBefore = connectionThreads();
            for (int i = 0; i < DebugServer.MAX_CONNECTIONS + 8; i++) {
                Socket c = new Socket("127.0.0.1", l.port());
                c.setSoTimeout(20_000);
                idle.add(c);
            }
            awaitCount(s, "tls/busy", 8);
            assertTrue(connectionThreads() - threadsBefore <= DebugServer.MAX_CONNECTIONS,
                    "threads for idle TLS connections: " + (connectionThreads() - threadsBefore));
            try (DebugClient.Response r = new DebugClient(sock.toString(), null).get("/debug/echo?x=1", Duration.ofSeconds(5))) {
                assertEquals(200, r.status(), "the local socket has slots of its own");
            }
            long start = System.nanoTime();
            int closedByServer = 0;
            for (Socket c : idle) {
                if (ClosedByServer.test(c)) closedByServer++; // an idle one waits here until its deadline
            }
            assertEquals(idle.size(), closedByServer, "every idle connection is closed by the server");
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waited >= HeadDeadline.HEAD_TIMEOUT.toMillis() - 2000,
                    "the admitted idle connections were kept until their head deadline, not dropped at once: " + waited + " ms");
            SSLContext good = PemTls.client(pki.file("ca.pem"), pki.file("client.pem"), pki.file("client.key"), CLIENT);
            try (DebugClient.Response r = new DebugClient("https://127.0.0.1:" + l.port(), good).get("/debug/echo?x=2",
                    Duration.ofSeconds(5))) {
                assertEquals(200, r.status(), "the slots are free again");
            }
            assertEquals(2, calls.get());
        } finally {
            for (Socket c : idle) c.close();
        }
    }

    private static long connectionThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("weft-conn-")).count();
    }

    @Test
    void plainHttpAndHttpsWithoutCertificatesAreRefusedByTheClient() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DebugClient("http://127.0.0.1:10267", null));
        assertTrue(e.getMessage().contains("not served over plain HTTP"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DebugClient("https://10.0.0.1:10268", null));
        assertTrue(e.getMessage().contains("needs --cert, --key and --cacert"), e.getMessage());
    }

    /** The server counts a refused handshake after the client has given up on it. */
    private static void awaitCount(DebugServer s, String key, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (s.outcomes().getOrDefault(key, 0L) < n && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(n, s.outcomes().getOrDefault(key, 0L), key + " in " + s.outcomes());
    }

    private static String raw(Path sock, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            OutputStream out = Channels.newOutputStream(c);
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = Channels.newInputStream(c);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
