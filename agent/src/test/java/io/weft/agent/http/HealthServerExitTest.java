package io.weft.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.agent.metrics.Metrics;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A probe whose request arrives in two parts (as a slow kubelet or scraper sends it) leaves no thread of the JDK's
 * blocked in a system call once the server is closed. Such a thread (the virtual-thread poller, started the first time a
 * virtual thread waits on a socket) holds every later exit of the JVM back by ~0.3 s, and a userspace node is dark from
 * its datapath's close until its next agent is up. Run in a JVM of its own, since any earlier test may have started the
 * poller in this one.
 */
class HealthServerExitTest {
    @Test
    void aSlowProbeLeavesNoThreadInASystemCall() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Probe.class.getName());
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals("HTTP/1.1 200 OK|threads in system calls: []", out.strip().lines().reduce((a, b) -> b).orElse(""), out);
    }

    /** Serves one slow /healthz request, closes the server, names the threads left in a native method. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            String status;
            try (HealthServer http = new HealthServer("127.0.0.1", 0, () -> true, () -> true, new Metrics())) {
                http.start();
                try (Socket s = new Socket("127.0.0.1", http.port())) {
                    OutputStream o = s.getOutputStream();
                    o.write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    Thread.sleep(200); // the server's thread waits on the socket for the rest
                    o.write("Host: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    InputStream in = s.getInputStream();
                    status = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
                }
            }
            Thread.sleep(100);
            List<String> inNative = Thread.getAllStackTraces().entrySet().stream()
                    .filter(e -> e.getValue().length > 0 && e.getValue()[0].getClassName().startsWith("sun.nio.ch"))
                    .map(e -> e.getKey().getName()).sorted().toList();
            System.out.println(status + "|threads in system calls: " + inNative);
        }
    }
}
