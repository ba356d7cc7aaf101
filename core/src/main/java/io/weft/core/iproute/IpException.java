package io.weft.core.iproute;

import java.util.List;

/** A kernel change or read failed; the message holds the command, its exit code and what it printed. */
public class IpException extends RuntimeException {
    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    public IpException(List<String> command, int exitCode, String stderr, String detail) {
        super(String.join(" ", command) + " exited " + exitCode + ": " + stderr.strip()
                + (detail == null || detail.isEmpty() ? "" : "\n" + detail));
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public List<String> command() {
        return command;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
