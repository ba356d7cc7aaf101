package io.weft.core.iproute;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code ip -o -force -batch -} process started before all of its commands are known, fed as they become
 * known: a short-lived caller (the CNI plugin) starts it early so that the process start overlaps other work.
 * The command may run under a {@code wrapper} such as {@code flock -x FILE}: the ip process then starts only once
 * the lock is held, and {@link #awaitStart()} says when that is.
 *
 * <p>No threads (a JVM that lives for one CNI call pays milliseconds for its first one): commands are written
 * when flushed, and the tool's stdout and stderr are read only in {@link #finish()} after stdin is closed. So what
 * the tool prints before then must fit the pipes: ip's change commands print nothing on stdout and a line or two
 * on stderr per failure, far below a pipe's capacity; not for reads with long output (IpReader is for those).
 */
public final class IpSession {
    /**
     * The first command of every session, whose output {@link #awaitStart()} waits for: a read that cannot fail in a
     * network namespace (every namespace has lo) and prints one line with -o. ip flushes stdout after each command.
     */
    private static final String START_MARK = "link show dev lo";

    private final List<String> command;
    private final Process process;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final List<String> lines = new ArrayList<>();
    private final StringBuilder pending = new StringBuilder();

    private IpSession(List<String> command, Process process) {
        this.command = command;
        this.process = process;
        this.stdin = process.getOutputStream();
        this.stdout = process.getInputStream();
    }

    /** Starts {@code wrapper... ip [-n NS] -o -force -batch -} (nsenter for a namespace file). */
    public static IpSession start(Netns ns, List<String> wrapper) {
        List<String> c = new ArrayList<>(wrapper);
        c.addAll(ns.command(IpOp.IP, List.of("-o", "-force", "-batch", "-")));
        IpSession s = new IpSession(c, IpRunner.start(c));
        s.sendLine(START_MARK, null);
        s.flush();
        return s;
    }

    public List<String> command() {
        return command;
    }

    /** Queues one command; it is written on the next {@link #flush()} or {@link #finish()}. */
    public IpSession send(IpOp op) {
        if (!op.tool().equals(IpOp.IP)) throw new IllegalArgumentException("not an ip command: " + op);
        return sendLine(op.line(), op.toString());
    }

    /** Queues a command line as is, named {@code shown} in errors. */
    public IpSession sendLine(String line, String shown) {
        lines.add(shown);
        pending.append(line).append('\n');
        return this;
    }

    /** Writes what is queued: the tool runs it as soon as it is past its wrapper. */
    public IpSession flush() {
        if (pending.isEmpty()) return this;
        try {
            stdin.write(pending.toString().getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            // the tool is gone (its wrapper failed, or it exited early): finish() reports why
        }
        pending.setLength(0);
        return this;
    }

    /**
     * Waits until the tool runs (for a wrapper such as flock: until it holds the lock), reading the start mark's
     * line; false if the tool exited instead (finish() then tells why).
     */
    public boolean awaitStart() {
        try {
            while (true) {
                int b = stdout.read();
                if (b < 0) return false;
                if (b == '\n') return true;
            }
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The outcome of a session: exit code, what it printed, which sent commands failed (by their index), each with
     * the command and the message ip printed for it.
     */
    public record Outcome(List<String> command, int exitCode, String stderr, List<Integer> failed, List<String> failedOps,
                          List<String> errors) {
        public boolean ok() {
            return exitCode == 0 && failed.isEmpty();
        }

        /** Throws the way {@link IpBatch#apply} does: the command line, the tool's output, each failed command. */
        public Outcome orThrow() {
            if (ok()) return this;
            throw new IpException(command, exitCode, stderr,
                    failedOps.isEmpty() ? null : "failed: " + String.join("; ", failedOps));
        }
    }

    /** Writes what is queued, closes stdin, waits for the tool to exit. */
    public Outcome finish() {
        flush();
        try {
            stdin.close();
        } catch (IOException e) {
            // exited already
        }
        String err;
        try {
            err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            stdout.readAllBytes();
        } catch (IOException e) {
            err = "reading its output: " + e.getMessage();
        }
        int code = IpRunner.waitFor(process, command);
        List<Integer> failed = new ArrayList<>();
        List<String> failedOps = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        // the start mark is line 1 of the batch and cannot fail; lines holds it as null
        for (BatchFailures.Failure f : BatchFailures.parse(err)) {
            int n = f.line();
            if (n >= 1 && n <= lines.size() && lines.get(n - 1) != null) {
                failed.add(n - 1);
                failedOps.add(lines.get(n - 1));
                errors.add(f.message());
            }
        }
        if (code != 0 && failed.isEmpty()) {
            for (String l : lines) if (l != null) failedOps.add(l);
        }
        return new Outcome(command, code, err, failed, failedOps, errors);
    }

    /** How many commands were sent so far, the start mark included: the index the next one will have. */
    public int sent() {
        return lines.size();
    }
}
