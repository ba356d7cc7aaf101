package io.weft.agent.backend;

/** A backend cannot run on this node; the message names the cause (module missing, port taken, ...). */
public class BackendException extends RuntimeException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
