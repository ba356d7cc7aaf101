package io.weft.agent.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The etcd gateway's HTTP/1.1 as {@link EtcdHttp} reads it, against a loopback server that answers byte for byte what
 * each test scripts (etcd's gateway itself is exercised by EtcdSubnetManagerTest, EtcdTlsTest and StoreFaultsTest
 * with a real etcd; this shows the framings etcd may or may not happen to produce there).
 */
class EtcdHttpTest {
    private ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<String> requests = new ArrayList<>();

    interface Script {
        /** Answers on one accepted connection; returns when done with it. */
        void serve(InputStream in, OutputStream out) throws IOException;
    }

    URI serve(Script script) throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                    script.serve(s.getInputStream(), s.getOutputStream());
                } catch (IOException e) {
                    return;
                }
            }
        }, "etcd-http-test-server");
        t.setDaemon(true);
        t.start();
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
    }

    /** Reads one request (head and Content-Length body) and keeps it; null when the client closed the connection. */
    String request(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int length = 0;
        while (true) {
            String line;
            try {
                line = EtcdHttp.line(in);
            } catch (java.io.EOFException e) {
                return null;
            }
            if (line.isEmpty()) break;
            head.append(line).append('\n');
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
        }
        String r = head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        synchronized (requests) {
            requests.add(r);
        }
        return r;
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void keepsTheConnectionForTheNextCallAndSendsTheTokenAndBody() throws Exception {
        URI base = serve((in, out) -> {
            while (request(in) != null) write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"count\":\"1\"}");
        });
        try (EtcdHttp http = new EtcdHttp(null)) {
            EtcdHttp.Answer a = http.post(base, "/v3/kv/range", "{\"key\":\"YQ==\"}", "tok123", 5_000);
            EtcdHttp.Answer b = http.post(base, "/v3/kv/range", "{\"key\":\"Yg==\"}", null, 5_000);
            assertEquals(200, a.status());
            assertEquals("{\"count\":\"1\"}", b.body());
        }
        assertEquals(1, accepted.get(), "both calls on one kept connection");
        assertTrue(requests.get(0).startsWith("POST /v3/kv/range HTTP/1.1\n"), requests.get(0));
        assertTrue(requests.get(0).contains("\nAuthorization: tok123\n"), requests.get(0));
        assertTrue(requests.get(0).endsWith("\n{\"key\":\"YQ==\"}"), requests.get(0));
        assertTrue(!requests.get(1).contains("Authorization"), requests.get(1));
    }

    @Test
    void aKeptConnectionTheServerClosedIsReplacedWithoutAnError() throws Exception {
        URI base = serve((in, out) -> {
            if (request(in) != null) write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"); // then closes, as an idle timeout would
        });
        try (EtcdHttp http = new EtcdHttp(null)) {
            assertEquals("{}", http.post(base, "/v3/kv/put", "{}", null, 5_000).body());
            Thread.sleep(100); // the server's close arrives
            assertEquals("{}", http.post(base, "/v3/kv/put", "{}", null, 5_000).body());
        }
        assertEquals(2, accepted.get());
    }

    @Test
    void readsAChunkedAnswerWhoseChunksSplitLinesAnywhere() throws Exception {
        URI base = serve((in, out) -> {
            request(in);
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (String chunk : List.of("{\"result\":{\"created\":true}}\n{\"res", "ult\":{\"events\":[]}}", "\n", "{\"a\":\"é\"}\n")) {
                byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
                write(out, Integer.toHexString(b.length) + ";ext=1\r\n" + chunk + "\r\n");
            }
            write(out, "0\r\nX-Trailer: y\r\n\r\n");
        });
        List<String> lines = new ArrayList<>();
        try (EtcdHttp http = new EtcdHttp(null); EtcdHttp.Lines l = http.stream(base, "/v3/watch", "{}", null)) {
            assertEquals(200, l.status);
            for (String line = l.next(); line != null; line = l.next()) lines.add(line);
            assertNull(l.next());
        }
        assertEquals(List.of("{\"result\":{\"created\":true}}", "{\"result\":{\"events\":[]}}", "{\"a\":\"é\"}"), lines);
    }

    @Test
    void closeEndsAWatchBlockedOnAQuietServer() throws Exception {
        URI base = serve((in, out) -> {
            request(in);
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            in.read(); // quiet until the client goes
        });
        EtcdHttp http = new EtcdHttp(null);
        EtcdHttp.Lines l = http.stream(base, "/v3/watch", "{}", null);
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                l.next();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(200);
        http.close();
        Exception e = assertThrows(java.util.concurrent.ExecutionException.class, () -> reader.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof java.io.UncheckedIOException, String.valueOf(e.getCause()));
    }

    @Test
    void anAnswerCutShortIsAnError() throws Exception {
        URI base = serve((in, out) -> {
            request(in);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"header\":");
        });
        try (EtcdHttp http = new EtcdHttp(null)) {
            IOException e = assertThrows(IOException.class, () -> http.post(base, "/v3/kv/range", "{}", null, 5_000));
            assertTrue(e.getMessage().contains("bytes short"), e.getMessage());
        }
    }
}
