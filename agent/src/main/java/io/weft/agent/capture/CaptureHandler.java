package io.weft.agent.capture;

import io.weft.agent.debug.DebugHandler;
import io.weft.agent.debug.DebugRequest;
import io.weft.agent.debug.DebugResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code GET /debug/capture?seconds=N[&snaplen=S]} on the debug API: streams, as a pcap file, every inner Ethernet
 * frame the datapath sends or delivers during the next N seconds (1..300, default 10). One capture at a time (409
 * while another runs); 503 when the node's datapath is the kernel's, which the agent cannot see into.
 */
public final class CaptureHandler implements DebugHandler {
    private static final Logger LOG = Logger.getLogger(CaptureHandler.class.getName());
    public static final String PATH = "/debug/capture";
    private final Supplier<CaptureSource> source;

    /** @param source the running backend's datapath, or null when it has none the agent can capture */
    public CaptureHandler(Supplier<CaptureSource> source) {
        this.source = source;
    }

    @Override
    public void handle(DebugRequest req, DebugResponse res) throws IOException {
        int seconds;
        int snaplen;
        try {
            seconds = req.intParam("seconds", 10);
            snaplen = req.intParam("snaplen", 65535);
        } catch (NumberFormatException e) {
            res.text(400, "seconds and snaplen must be integers");
            return;
        }
        if (seconds < 1 || seconds > 300) {
            res.text(400, "seconds must be 1..300");
            return;
        }
        if (snaplen < 64 || snaplen > 65535) {
            res.text(400, "snaplen must be 64..65535");
            return;
        }
        CaptureSource dp = source.get();
        if (dp == null) {
            res.text(503, "this node's datapath is the kernel's, which weftd cannot capture from (Backend.Datapath "
                    + "\"userspace\" can); use tcpdump on flannel.<VNI>");
            return;
        }
        CaptureSession session = new CaptureSession(snaplen, 65536);
        synchronized (CaptureHandler.class) {
            if (dp.sink() != null) {
                res.text(409, "another capture is running");
                return;
            }
            dp.sink(session);
        }
        LOG.info("capture started for " + req.caller() + ", " + seconds + " s");
        try {
            OutputStream out = res.stream("application/vnd.tcpdump.pcap");
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
            LOG.info("capture for " + req.caller() + ": " + session.captured() + " frames in " + seconds + " s, "
                    + session.dropped() + " dropped (writer too slow)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (CaptureHandler.class) {
                if (dp.sink() == session) dp.sink(null);
            }
        }
    }
}
