package io.weft.lab.etcd;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A real etcd (Debian's etcd-server) for the demo and the tests: its own data directory, client and peer ports,
 * optionally inside a network namespace (the lab's underlay) so that agents in node namespaces reach it. Fails
 * loudly where etcd is not installed.
 */
public final class LabEtcd implements AutoCloseable {
    private volatile Process process;
    private final Path dataDir;
    private final URI url;
    private final List<String> command;
    private final List<String> health;

    private LabEtcd(Path dataDir, URI url, List<String> command, List<String> health) {
        this.dataDir = dataDir;
        this.url = url;
        this.command = List.copyOf(command);
        this.health = List.copyOf(health);
    }

    /** On loopback, in this namespace. */
    public static LabEtcd start() throws IOException, InterruptedException {
        return start(null, "127.0.0.1", freePort(), freePort());
    }

    /** In {@code netns} (null: this one), listening on {@code ip}. */
    public static LabEtcd start(String netns, String ip, int clientPort, int peerPort) throws IOException, InterruptedException {
        return start(netns, ip, clientPort, peerPort, null);
    }

    /** Server and client TLS files: etcd serves https and asks every client for a certificate signed by {@code ca}. */
    public record Tls(Path cert, Path key, Path ca, Path clientCert, Path clientKey) {}

    /** On loopback over https, with client certificates required. */
    public static LabEtcd startTls(Tls tls) throws IOException, InterruptedException {
        return start(null, "127.0.0.1", freePort(), freePort(), tls);
    }

    private static LabEtcd start(String netns, String ip, int clientPort, int peerPort, Tls tls) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of("/usr/bin/etcd"))) {
            throw new IllegalStateException("needs a real etcd: /usr/bin/etcd is missing (apt-get install etcd-server; "
                    + "run-tests.sh and run-demo.sh install it)");
        }
        Path data = Files.createTempDirectory("weft-etcd-");
        String client = (tls == null ? "http://" : "https://") + ip + ":" + clientPort;
        String peer = "http://" + ip + ":" + peerPort;
        List<String> cmd = new ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));
        cmd.addAll(List.of("/usr/bin/etcd", "--name", "weft-test", "--data-dir", data.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "weft-test=" + peer, "--log-level", "error"));
        List<String> ctlTls = List.of();
        if (tls != null) {
            cmd.addAll(List.of("--cert-file", tls.cert().toString(), "--key-file", tls.key().toString(),
                    "--trusted-ca-file", tls.ca().toString(), "--client-cert-auth"));
            ctlTls = List.of("--cacert", tls.ca().toString(), "--cert", tls.clientCert().toString(), "--key", tls.clientKey().toString());
        }
        List<String> health = new ArrayList<>();
        if (netns != null) health.addAll(List.of("ip", "netns", "exec", netns));
        health.addAll(List.of("etcdctl", "--endpoints", client));
        health.addAll(ctlTls);
        health.addAll(List.of("endpoint", "health"));
        LabEtcd s = new LabEtcd(data, URI.create(client), cmd, health);
        try {
            s.resume();
        } catch (IOException | RuntimeException | InterruptedException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Starts etcd (again, on the data it had) and waits until it answers. */
    public void resume() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("etcd.log").toFile())).start();
        process = p;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            var r = new ProcessBuilder(health).redirectErrorStream(true).start();
            r.getInputStream().readAllBytes();
            if (r.waitFor() == 0) return;
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = Files.exists(dataDir.resolve("etcd.log")) ? Files.readString(dataDir.resolve("etcd.log")) : "";
                throw new IllegalStateException("etcd did not start:\n" + log);
            }
            Thread.sleep(100);
        }
    }

    /** Stops etcd as an outage would (its data stays, {@link #resume()} brings it back); {@code kill}: SIGKILL. */
    public void pause(boolean kill) throws InterruptedException {
        Process p = process;
        if (p == null) return;
        if (kill) p.destroyForcibly();
        else p.destroy();
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    public URI url() {
        return url;
    }

    /**
     * Runs etcdctl against this etcd from {@code netns} (where it can reach it; null: this namespace); its output, or
     * an error naming the call.
     */
    public String etcdctl(String netns, String... args) {
        List<String> cmd = new java.util.ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));
        cmd.addAll(List.of("etcdctl", "--endpoints", url.toString()));
        cmd.addAll(List.of(args));
        io.weft.core.iproute.IpRunner.Result r = io.weft.core.iproute.IpRunner.run(cmd, null);
        if (r.exitCode() != 0) throw new IllegalStateException("etcdctl " + String.join(" ", args) + ": " + r.stderr().strip());
        return r.stdout();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        Process p = process;
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var s = Files.walk(dataDir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover temp dir is harmless
        }
    }
}
