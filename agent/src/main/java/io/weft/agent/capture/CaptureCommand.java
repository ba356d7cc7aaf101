package io.weft.agent.capture;

import io.weft.agent.Main;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weftd capture --duration 10s --out overlay.pcap}: asks the running agent (its /debug/capture
 * endpoint on the health port) for what its userspace datapath carries, and writes the pcap file.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture the inner frames the userspace VXLAN datapath sends and receives into a pcap file.")
public final class CaptureCommand implements Callable<Integer> {
    @Option(names = "--duration", defaultValue = "10s", converter = Main.DurationConverter.class,
            description = "How long to capture, 1s..300s (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--out", defaultValue = "overlay.pcap", description = "pcap file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--agent", defaultValue = "http://127.0.0.1:10267",
            description = "The running weftd's health/metrics address (its --healthz-port) (default: ${DEFAULT-VALUE}).")
    String agent;

    @Option(names = "--snaplen", defaultValue = "65535", description = "Bytes kept of each frame (default: ${DEFAULT-VALUE}).")
    int snaplen;

    @Override
    public Integer call() throws Exception {
        long seconds = Math.max(1, duration.toSeconds());
        URI uri = URI.create(agent.replaceAll("/+$", "") + CaptureHandler.PATH + "?seconds=" + seconds + "&snaplen=" + snaplen);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<InputStream> r;
        try {
            r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(seconds + 30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.io.IOException e) {
            System.err.println("weftd capture: cannot reach the agent at " + agent + ": " + e.getMessage()
                    + " (is weftd running with --healthz-port?)");
            return 2;
        }
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                System.err.println("weftd capture: agent said " + r.statusCode() + ": "
                        + new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
            }
            return 1;
        }
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".part");
        long bytes;
        try (InputStream in = r.body(); OutputStream o = Files.newOutputStream(tmp)) {
            bytes = in.transferTo(o);
        }
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.println("weftd capture: wrote " + abs + " (" + bytes + " bytes, " + seconds + " s)");
        return 0;
    }
}
