package io.weft.lab.kube;

import io.weft.lab.jvm.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stand-in API server ({@link MockApiServer}: fabric8's mock, no real kube-apiserver runs here) as a process in
 * a lab namespace, which a test or a benchmark can stop and start again as an API server outage would: it saves its
 * Nodes before it stops and loads them when it starts, as a real API server keeps them in etcd.
 */
public final class ApiServerProcess implements AutoCloseable {
    private final String netns;
    private final String ip;
    private final int port;
    private final Path state;
    private final List<String> jvmOptions;
    private Process process;
    private MockApiServer.Connection connection;

    private ApiServerProcess(String netns, String ip, int port, Path state, List<String> jvmOptions) {
        this.netns = netns;
        this.ip = ip;
        this.port = port;
        this.state = state;
        this.jvmOptions = jvmOptions;
    }

    /** Starts it in {@code netns} on {@code ip:port}, keeping its Nodes in {@code state} across restarts. */
    public static ApiServerProcess start(String netns, String ip, int port, Path state, List<String> jvmOptions)
            throws IOException {
        ApiServerProcess p = new ApiServerProcess(netns, ip, port, state, List.copyOf(jvmOptions));
        p.resume();
        return p;
    }

    public String url() {
        return "http://" + ip + ":" + port;
    }

    /** One command of {@link MockApiServer}'s protocol; its answer after "OK". */
    public synchronized String call(String command) throws IOException {
        return connection.call(command);
    }

    /** Saves the Nodes and stops the server (SIGKILL: an outage, not a shutdown). */
    public synchronized void pause() throws IOException, InterruptedException {
        connection.call("save");
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the server again with the Nodes it saved. */
    public synchronized void resume() throws IOException {
        Path log = state.resolveSibling(state.getFileName() + ".log");
        process = new ProcessBuilder(ChildJvm.command(netns, null, jvmOptions, MockApiServer.class.getName(),
                List.of(ip, Integer.toString(port), "state=" + state)))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        connection = new MockApiServer.Connection(process, () -> {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return e.getMessage();
            }
        });
    }

    @Override
    public synchronized void close() {
        if (connection != null) connection.close();
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
