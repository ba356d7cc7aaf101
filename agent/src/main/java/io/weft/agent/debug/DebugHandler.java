package io.weft.agent.debug;

import java.io.IOException;

/** Serves one path of the debug API. Called on its own (virtual) thread; may stream for as long as it needs. */
@FunctionalInterface
public interface DebugHandler {
    void handle(DebugRequest request, DebugResponse response) throws IOException;
}
