package io.weft.agent.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.debug.DebugHandler;
import io.weft.agent.debug.DebugRequest;
import io.weft.agent.debug.DebugResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * {@code GET /debug/status} on the debug API: the node's {@link NodeStatus} as JSON. On the debug API rather than the
 * health port because it names peers, addresses and firewall rules.
 */
public final class StatusHandler implements DebugHandler {
    public static final String PATH = "/debug/status";
    // a client of another weft version reads what it knows of the answer
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Supplier<NodeStatus> status;

    public StatusHandler(Supplier<NodeStatus> status) {
        this.status = status;
    }

    @Override
    public void handle(DebugRequest req, DebugResponse res) throws IOException {
        NodeStatus s = status.get();
        OutputStream out = res.stream("application/json");
        out.write(JSON.writeValueAsBytes(s));
        out.flush();
    }
}
