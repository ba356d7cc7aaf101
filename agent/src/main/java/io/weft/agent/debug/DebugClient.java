package io.weft.agent.debug;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * What {@code weftd capture} (and the other debug commands) use to ask a running agent: over the node's local
 * socket (a path), or over TLS with a client certificate ({@code https://host:port}). The server's certificate
 * must chain to the CA given; its name is not checked, because agents are reached by node address and one
 * certificate commonly serves every node, so the CA alone is the trust boundary (use a CA only for weft).
 */
public final class DebugClient {
    public static final Path DEFAULT_SOCKET = Path.of("/run/weft/weftd.sock");

    /** The agent answered: its status, the first line of a text answer, the body (to read to its end). */
    public record Response(int status, InputStream body) implements AutoCloseable {
        public String text() throws IOException {
            try (body) {
                return new String(body.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private final String agent;
    private final SSLContext tls;

    /**
     * @param agent a socket path, or {@code https://host:port}
     * @param tls   the client context for https (certificate, key and CA), null for a socket
     */
    public DebugClient(String agent, SSLContext tls) {
        if (agent.startsWith("http://")) {
            throw new IllegalArgumentException("--agent " + agent + ": the debug API is not served over plain HTTP (nor on the "
                    + "health port); use the node's socket (default " + DEFAULT_SOCKET + ") or https:// with client certificates");
        }
        if (agent.startsWith("https://") && tls == null) {
            throw new IllegalArgumentException("--agent " + agent + ": an https:// agent needs --cert, --key and --cacert");
        }
        this.agent = agent;
        this.tls = tls;
    }

    public String agent() {
        return agent;
    }

    /** Sends {@code GET target}; {@code connectTimeout} bounds reaching the agent, not the answer. */
    public Response get(String target, Duration connectTimeout) throws IOException {
        InputStream in;
        OutputStream out;
        if (agent.startsWith("https://")) {
            URI u = URI.create(agent);
            if (u.getHost() == null || u.getPort() < 0) throw new IllegalArgumentException("--agent " + agent + ": give https://HOST:PORT");
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), (int) connectTimeout.toMillis());
            s.startHandshake();
            in = s.getInputStream();
            out = s.getOutputStream();
        } else {
            Path p = Path.of(agent.startsWith("unix:") ? agent.substring(5) : agent);
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(p));
            } catch (IOException e) {
                c.close();
                throw new IOException(p + ": " + e.getMessage(), e);
            }
            in = Channels.newInputStream(c);
            out = Channels.newOutputStream(c);
        }
        out.write(("GET " + target + " HTTP/1.1\r\nHost: weftd\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream body = new BufferedInputStream(in);
        String status = line(body);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            body.close();
            throw new IOException("the agent answered something that is not HTTP: " + status);
        }
        while (!line(body).isEmpty()) {
            // headers: the body runs to the end of the connection
        }
        return new Response(Integer.parseInt(parts[1]), body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') b.write(c);
            if (b.size() > DebugServer.MAX_HEAD) throw new IOException("answer head too long");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
