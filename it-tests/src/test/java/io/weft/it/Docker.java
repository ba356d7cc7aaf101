package io.weft.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The docker CLI, as a user would type it. Every container and network a test makes carries the label
 * {@link #LABEL}, so that {@link #removeAll()} clears what an interrupted run left behind.
 */
final class Docker {
    static final String LABEL = "io.weft.it=1";

    record Result(int exitCode, String stdout, String stderr) {}

    private Docker() {}

    /** Fails loudly, naming what to do, where Docker is missing: these tests never skip. */
    static void require() {
        Result r;
        try {
            r = exec(List.of("docker", "info", "--format", "{{.ServerVersion}}"), 60);
        } catch (IOException e) {
            throw new AssertionError("these tests need Docker: the docker CLI is not installed (run-tests.sh installs "
                    + "docker.io and starts dockerd)", e);
        }
        if (r.exitCode() != 0) {
            throw new AssertionError("these tests need a running dockerd (run-tests.sh starts one): " + r.stderr().strip());
        }
    }

    /** docker ARGS; throws with stderr unless it exits 0. */
    static String run(String... args) {
        Result r = tryRun(args);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " exited " + r.exitCode() + ": "
                    + r.stderr().strip() + r.stdout().strip());
        }
        return r.stdout();
    }

    static Result tryRun(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("docker");
        cmd.addAll(List.of(args));
        try {
            return exec(cmd, 300);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A shell command in a container. */
    static Result sh(String container, String script) {
        return tryRun("exec", container, "sh", "-c", script);
    }

    static void removeAll() {
        String ids = tryRun("ps", "-aq", "--filter", "label=" + LABEL).stdout().strip();
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("rm", "-f"));
            rm.addAll(List.of(ids.split("\\s+")));
            tryRun(rm.toArray(String[]::new));
        }
        String nets = tryRun("network", "ls", "-q", "--filter", "label=" + LABEL).stdout().strip();
        for (String n : nets.isEmpty() ? new String[0] : nets.split("\\s+")) tryRun("network", "rm", n);
    }

    /** Builds the node image with the project's own script, as a user would. */
    static void buildImage(Path projectRoot, String tag) {
        Result r;
        try {
            r = exec(List.of("bash", projectRoot.resolve("docker/build-image.sh").toString(), tag), 900);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (r.exitCode() != 0) throw new IllegalStateException("docker/build-image.sh failed: " + r.stderr() + r.stdout());
    }

    private static Result exec(List<String> cmd, int timeoutSeconds) throws IOException {
        Path errFile = java.nio.file.Files.createTempFile("docker-", ".err"); // read apart: a full stderr pipe would block
        Process p = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
        try {
            var out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), java.nio.file.Files.readString(errFile));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        } finally {
            java.nio.file.Files.deleteIfExists(errFile);
        }
    }
}
