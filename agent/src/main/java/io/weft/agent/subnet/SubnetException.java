package io.weft.agent.subnet;

/** A lease could not be had: pool exhausted, store unreachable, lease data unreadable. */
public class SubnetException extends RuntimeException {
    public SubnetException(String message) {
        super(message);
    }

    public SubnetException(String message, Throwable cause) {
        super(message, cause);
    }
}
