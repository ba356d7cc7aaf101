package io.weft.core.iproute;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs iproute2 binaries. The only place in weft that starts them (IpSession through start()). */
public final class IpRunner {

    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result orThrow() {
            if (exitCode != 0) throw new IpException(command, exitCode, stderr, null);
            return this;
        }
    }

    private IpRunner() {}

    public static Result run(List<String> command, String stdin) {
        Process p = start(command);
        // Both outputs are drained while stdin is written: a tool that answers as it reads (cat, ip -batch with
        // show commands) would otherwise fill its stdout pipe, stop reading, and leave us blocked writing.
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()),
                Thread::startVirtualThread);
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()),
                Thread::startVirtualThread);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The tool may exit before reading everything (e.g. a bad first batch line); its exit code tells.
        }
        int code = waitFor(p, command);
        return new Result(command, code, out.join(), err.join());
    }

    /** Starts {@code command}; a missing binary is an IpException that says so. */
    static Process start(List<String> command) {
        try {
            return new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IpException(command, 127, "cannot start " + command.getFirst() + ": " + e.getMessage()
                    + " (is iproute2 installed?)", null);
        }
    }

    /** Its exit code; an interrupt kills it and is an IpException. */
    static int waitFor(Process p, List<String> command) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IpException(command, -1, "interrupted", null);
        }
    }

    private static String drain(InputStream s) {
        try (s) {
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
