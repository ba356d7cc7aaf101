package io.weft.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.metrics.Metrics;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The health port is open to everyone who can reach the node, so clients that send half a request and wait must not
 * grow the agent: beyond {@link HealthServer#MAX_CONNECTIONS} connections are closed as they arrive, a request that has
 * not arrived in {@link HealthServer#MAX_REQUEST_SECONDS} is closed, and then probes are answered again. Run in a JVM
 * of its own, as in weftd, because the JDK's server reads its limits once, when the JVM's first server is made.
 */
class HealthServerLimitsTest {
    private static final int CLIENTS = HealthServer.MAX_CONNECTIONS + 36;

    @Test
    @Timeout(90)
    void stalledRequestsAreBoundedAndClosedThenProbesAreAnswered() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Serve.class.getName());
        Process p = pb.redirectErrorStream(true).start();
        List<Socket> stalled = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = Integer.parseInt(out.readLine().strip());
            int threadsBefore = threads(p.pid());
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = new Socket("127.0.0.1", port);
                OutputStream o = s.getOutputStream();
                o.write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)); // and nothing more
                o.flush();
                stalled.add(s);
            }
            int closedAtOnce = 0;
            for (Socket s : stalled) {
                s.setSoTimeout(30); // all of them in well under the request deadline
                if (ClosedByServer.test(s)) closedAtOnce++;
            }
            int grown = threads(p.pid()) - threadsBefore;
            assertTrue(closedAtOnce >= CLIENTS - HealthServer.MAX_CONNECTIONS,
                    closedAtOnce + " of " + CLIENTS + " stalled connections closed at once; the limit is " + HealthServer.MAX_CONNECTIONS);
            assertTrue(grown <= HealthServer.MAX_CONNECTIONS + 4, "the server grew by " + grown + " threads");

            long start = System.nanoTime();
            for (Socket s : stalled) {
                s.setSoTimeout((HealthServer.MAX_REQUEST_SECONDS + 10) * 1000);
                assertTrue(ClosedByServer.test(s), "a stalled request is closed by the server");
            }
            long waited = (System.nanoTime() - start) / 1_000_000_000;
            assertTrue(waited <= HealthServer.MAX_REQUEST_SECONDS + 3, "the last stalled request was closed after " + waited + " s");
            assertEquals("HTTP/1.1 200 OK", probe(port), "/healthz answers once the stalled requests are gone");
        } finally {
            for (Socket s : stalled) s.close();
            p.destroyForcibly().waitFor();
        }
    }

    private static String probe(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    private static int threads(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Threads:")) return Integer.parseInt(line.substring(8).strip());
        }
        throw new IllegalStateException("no Threads: line for " + pid);
    }

    /** The health server as weftd makes it, on a free loopback port it prints; serves until killed. */
    public static final class Serve {
        public static void main(String[] args) throws Exception {
            HealthServer http = new HealthServer("127.0.0.1", 0, () -> true, () -> true, new Metrics());
            http.start();
            System.out.println(http.port());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
