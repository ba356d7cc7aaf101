package io.weft.agent.capture;

import io.weft.agent.cli.DurationConverter;
import io.weft.agent.debug.DebugClient;
import io.weft.agent.debug.AgentOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weftd capture --duration 10s --out overlay.pcap}: asks the running agent, over its debug API (the node's
 * local socket, or https with a client certificate), for what its userspace datapath carries, and writes the pcap.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture the inner frames the userspace VXLAN datapath sends and receives into a pcap file.")
public final class CaptureCommand implements Callable<Integer> {
    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to capture, 1s..300s (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--out", defaultValue = "overlay.pcap", description = "pcap file to write, - for standard output "
            + "(kubectl exec ... weftd capture --out - > overlay.pcap) (default: ${DEFAULT-VALUE}).")
    Path out;

    @picocli.CommandLine.Mixin
    AgentOptions agentOptions = new AgentOptions();

    @Option(names = "--snaplen", defaultValue = "65535", description = "Bytes kept of each frame (default: ${DEFAULT-VALUE}).")
    int snaplen;

    @Override
    public Integer call() throws Exception {
        long seconds = Math.max(1, duration.toSeconds());
        DebugClient client;
        try {
            client = agentOptions.client();
        } catch (IllegalArgumentException e) {
            System.err.println("weftd capture: " + e.getMessage());
            return 2;
        }
        DebugClient.Response r;
        try {
            r = client.get(CaptureHandler.PATH + "?seconds=" + seconds + "&snaplen=" + snaplen, Duration.ofSeconds(5));
        } catch (IOException e) {
            System.err.println("weftd capture: " + AgentOptions.unreachable(client.agent(), e));
            return 2;
        }
        if (r.status() != 200) {
            System.err.println("weftd capture: agent said " + r.status() + ": " + r.text());
            return 1;
        }
        if (out.toString().equals("-")) {
            long bytes;
            try (InputStream in = r.body()) {
                bytes = in.transferTo(System.out);
            }
            System.out.flush();
            System.err.println("weftd capture: wrote " + bytes + " bytes (" + seconds + " s) to standard output");
            return 0;
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
