package io.weft.lab.overlay;

import java.io.IOException;
import java.util.List;

/** The netns overlay for tests in other packages (capture). */
public final class OverlayAccess implements AutoCloseable {
    private final Overlay o;

    public OverlayAccess(String tag, int n) throws IOException {
        o = new Overlay(tag, n);
    }

    public void kernelVtep(int i, int... peers) {
        o.kernelVtep(i, peers);
    }

    public void userspaceVtep(int i, boolean offload, List<String> extra, int... peers) throws IOException {
        o.userspaceVtep(i, offload, extra, peers);
    }

    public boolean ping(int i, int j, int count, int size) {
        return o.ping(i, j, count, size);
    }

    /** TrafficTool in node i's namespace (node=true) or pod i's. */
    public Process tool(int i, boolean node, String... args) throws IOException {
        return Overlay.tool(node ? o.node(i) : o.pod(i), args);
    }

    public static String await(Process p, String prefix, long seconds) throws Exception {
        return Overlay.await(p, prefix, seconds);
    }

    public static void sleep(long ms) {
        Overlay.sleep(ms);
    }

    @Override
    public void close() {
        o.close();
    }
}
