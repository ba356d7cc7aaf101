package io.weft.agent.capture;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.weft.agent.backend.userspace.VxlanDatapath;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code GET /debug/capture?seconds=N[&snaplen=S]}: streams, as a pcap file, every inner Ethernet frame the
 * userspace datapath sends or delivers during the next N seconds (1..300, default 10). One capture at a time
 * (409 while another runs); 503 when the node does not run the userspace datapath.
 */
public final class CaptureHandler implements HttpHandler {
    private static final Logger LOG = Logger.getLogger(CaptureHandler.class.getName());
    public static final String PATH = "/debug/capture";
    private final Supplier<VxlanDatapath> datapath;

    public CaptureHandler(Supplier<VxlanDatapath> datapath) {
        this.datapath = datapath;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                text(ex, 405, "use GET");
                return;
            }
            int seconds;
            int snaplen;
            try {
                seconds = param(ex.getRequestURI(), "seconds", 10);
                snaplen = param(ex.getRequestURI(), "snaplen", 65535);
            } catch (NumberFormatException e) {
                text(ex, 400, "seconds and snaplen must be integers");
                return;
            }
            if (seconds < 1 || seconds > 300) {
                text(ex, 400, "seconds must be 1..300");
                return;
            }
            if (snaplen < 64 || snaplen > 65535) {
                text(ex, 400, "snaplen must be 64..65535");
                return;
            }
            VxlanDatapath dp = datapath.get();
            if (dp == null) {
                text(ex, 503, "this node does not run the userspace datapath (Backend.Datapath \"userspace\")");
                return;
            }
            CaptureSession session = new CaptureSession(snaplen, 65536);
            synchronized (CaptureHandler.class) {
                if (dp.sink() != null) {
                    text(ex, 409, "another capture is running");
                    return;
                }
                dp.sink(session);
            }
            try {
                ex.getResponseHeaders().set("Content-Type", "application/vnd.tcpdump.pcap");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                out.write(PcapFormat.globalHeader(snaplen));
                out.flush();
                long end = System.nanoTime() + seconds * 1_000_000_000L;
                while (System.nanoTime() < end) {
                    byte[] r = session.poll(Math.max(1, Math.min(200, (end - System.nanoTime()) / 1_000_000)));
                    if (r == null) {
                        out.flush();
                        continue;
                    }
                    out.write(r);
                    for (int i = 0; i < 256 && (r = session.pollNow()) != null; i++) out.write(r);
                }
                dp.sink(null);
                byte[] r;
                while ((r = session.pollNow()) != null) out.write(r);
                out.flush();
                LOG.info("capture: " + session.captured() + " frames in " + seconds + " s, " + session.dropped()
                        + " dropped (writer too slow)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (dp.sink() == session) dp.sink(null);
            }
        }
    }

    private static int param(URI uri, String name, int dflt) {
        String q = uri.getRawQuery();
        if (q == null) return dflt;
        for (String kv : q.split("&")) {
            int i = kv.indexOf('=');
            if (i > 0 && kv.substring(0, i).equals(name)) return Integer.parseInt(kv.substring(i + 1));
        }
        return dflt;
    }

    private static void text(HttpExchange ex, int code, String msg) throws IOException {
        byte[] b = (msg + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
    }
}
