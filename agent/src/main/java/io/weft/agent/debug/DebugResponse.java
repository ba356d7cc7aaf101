package io.weft.agent.debug;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The answer to one debug request: a short text, or a stream of the handler's bytes. The connection closes after
 * every answer, so a streamed body needs no length: it ends where the connection does (HTTP/1.1 allows that).
 */
public final class DebugResponse {
    private final OutputStream out;
    private int status;

    DebugResponse(OutputStream out) {
        this.out = out;
    }

    /** Sends {@code code} with a one-line plain-text body. */
    public void text(int code, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        head(code, "text/plain; charset=utf-8", body.length);
        out.write(body);
        out.flush();
    }

    /** Sends {@code 200} and returns the stream the body goes to; the caller writes and flushes, the server closes. */
    public OutputStream stream(String contentType) throws IOException {
        head(200, contentType, -1);
        return out;
    }

    int status() {
        return status;
    }

    boolean started() {
        return status != 0;
    }

    private void head(int code, String type, long length) throws IOException {
        if (status != 0) throw new IllegalStateException("response already started with " + status);
        status = code;
        StringBuilder h = new StringBuilder(128).append("HTTP/1.1 ").append(code).append(' ').append(reason(code))
                .append("\r\nContent-Type: ").append(type).append("\r\nConnection: close\r\n");
        if (length >= 0) h.append("Content-Length: ").append(length).append("\r\n");
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    }

    static String reason(int code) {
        return switch (code) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }
}
