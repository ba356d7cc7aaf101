package io.weft.agent.http;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** Whether the server at the other end of a test's connection has closed it, seen the way a client sees it. */
public final class ClosedByServer {
    private ClosedByServer() {
    }

    /**
     * Reads to the end within the socket's timeout: the end (after an alert or an answer, if any) or a reset (the
     * server closed with the client's bytes unread) mean closed; a timeout means the server still holds it.
     */
    public static boolean test(Socket c) throws IOException {
        try {
            c.getInputStream().readAllBytes();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }
}
