package io.weft.agent.debug;

import io.weft.agent.tls.PemTls;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Option;

/**
 * How a debug command ({@code weftd capture}, {@code status}, {@code trace}) reaches a running agent: its socket on this
 * node, or {@code https://} with a client certificate; and the one line that says why it could not.
 */
public final class AgentOptions {
    @Option(names = "--agent", defaultValue = "/run/weft/weftd.sock",
            description = "The running weftd's debug API: its socket on this node (weftd's --debug-socket), or "
                    + "https://HOST:PORT (its --debug-listen) with --cert, --key and --cacert (default: ${DEFAULT-VALUE}).")
    public String agent;

    @Option(names = "--cert", description = "Client certificate (PEM) for https:// agents, signed by their --debug-client-ca-file.")
    public Path cert;

    @Option(names = "--key", description = "The client certificate's private key (PEM).")
    public Path key;

    @Option(names = "--cacert", description = "CA (PEM) that signed the agents' --debug-tls-cert-file.")
    public Path cacert;

    /** The client for {@code --agent}; IllegalArgumentException names a bad flag. */
    public DebugClient client() {
        return client(agent);
    }

    /** A client for {@code target} (a socket path or https://) with these credentials. */
    public DebugClient client(String target) {
        return new DebugClient(target, target.startsWith("https://") ? tls() : null);
    }

    /** Whether --cert, --key and --cacert are all given. */
    public boolean hasCredentials() {
        return cert != null && key != null && cacert != null;
    }

    /** The client TLS context from --cert, --key and --cacert, or null when they are not all given. */
    public SSLContext tls() {
        if (!hasCredentials()) {
            if (cert != null || key != null || cacert != null) {
                throw new IllegalArgumentException("--cert, --key and --cacert go together: give all three");
            }
            return null;
        }
        return PemTls.client(cacert, cert, key, new PemTls.Flags("--cacert", "--cert", "--key"));
    }

    /** Why {@code target} could not be asked, in one line with what to do. */
    public static String unreachable(String target, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (!target.startsWith("https://")) {
            Path p = Path.of(target.startsWith("unix:") ? target.substring(5) : target);
            if (!Files.exists(p)) {
                return "no weftd is running on this node: there is no " + p + " (or weftd runs with another --debug-socket;"
                        + " give it as --agent)";
            }
            if (msg.contains("Connection refused")) {
                return "no weftd is running on this node: nothing answers on " + p + " (left by an agent that stopped)";
            }
            if (msg.contains("Permission denied") || msg.contains("Operation not permitted")) {
                return "cannot reach weftd at " + p + ": permission denied; the socket is root's (run as root, or"
                        + " kubectl exec into the weftd container)";
            }
            return "cannot reach weftd at " + p + ": " + msg;
        }
        if (e instanceof ConnectException) {
            return "nothing answers at " + target + " (" + msg + "): is weftd there started with --debug-listen?";
        }
        if (e instanceof SocketTimeoutException) return "no answer from " + target + " in time: " + msg;
        if (e instanceof SSLException || msg.contains("certificate") || msg.contains("handshake") || msg.contains("reset")
                || msg.contains("Broken pipe") || msg.endsWith("not HTTP: ")) {
            // with TLS 1.3 a server that rejects our certificate says so after the handshake: the first read fails
            return "the agent at " + target + " refused the connection: it does not accept our certificate (is --cert signed"
                    + " by its --debug-client-ca-file?) or its own is not signed by --cacert (" + msg + ")";
        }
        return "cannot reach the agent at " + target + ": " + msg;
    }
}
