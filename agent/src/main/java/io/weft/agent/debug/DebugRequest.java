package io.weft.agent.debug;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request to the agent's debug API: method, path, query parameters, and who asked (the local socket's peer
 * user, or the client certificate's subject on the authenticated listener), for the log line a request leaves.
 */
public record DebugRequest(String method, String path, Map<String, String> query, String caller) {

    /** Parses {@code METHOD SP target SP HTTP/1.x}; null when the line is not an HTTP/1 request line. */
    static DebugRequest parse(String requestLine, String caller) {
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || !parts[1].startsWith("/")) return null;
        String target = parts[1];
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        Map<String, String> query = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : target.substring(q + 1).split("&")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq);
                String v = eq < 0 ? "" : kv.substring(eq + 1);
                try {
                    query.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return new DebugRequest(parts[0], path, Map.copyOf(query), caller);
    }

    /** An integer parameter, {@code dflt} when absent; NumberFormatException names nothing, the handler does. */
    public int intParam(String name, int dflt) {
        String v = query.get(name);
        return v == null ? dflt : Integer.parseInt(v);
    }
}
