package io.weft.agent.subnet.etcd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * HTTP/1.1 as etcd's JSON gateway speaks it, on plain sockets (an SSLSocket for https://, the server's name checked
 * as browsers check it): POST with a JSON body, answers with a Content-Length or chunked, connections kept for the
 * next call, and the watch as one chunked answer read a line at a time. The JDK's java.net.http client would do the
 * same, but it loads some thousand classes, starts a selector thread and makes the JDK's default TLS context (every
 * CA certificate parsed) even for http://: on a node that is several MiB of the agent's memory (bench/README.md,
 * "Footprint").
 */
final class EtcdHttp implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 3_000;
    private static final int MAX_HEAD = 64 * 1024;

    /** A whole answer. */
    record Answer(int status, String body) {}

    private final SSLContext tls; // null: the JDK's default context, for an https:// endpoint only
    private final Map<String, ArrayDeque<Connection>> idle = new HashMap<>();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    EtcdHttp(SSLContext tls) {
        this.tls = tls;
    }

    /** POSTs {@code json} to {@code base + path}; {@code timeoutMs} bounds each wait for the server. */
    Answer post(URI base, String path, String json, String auth, int timeoutMs) throws IOException {
        while (true) {
            Connection c = take(base);
            boolean reused = c.used;
            try {
                c.socket.setSoTimeout(timeoutMs);
                Head head = c.request(base, path, json, auth);
                String body = new String(c.body(head).readAllBytes(), StandardCharsets.UTF_8);
                if (head.keepAlive) give(base, c); else c.close();
                return new Answer(head.status, body);
            } catch (IOException e) {
                c.close();
                // a kept connection the server had closed meanwhile: it read nothing, so sending again is safe
                if (reused && e instanceof Unanswered) continue;
                throw e instanceof Unanswered u ? (IOException) u.getCause() : e;
            }
        }
    }

    /** An answer read a line at a time (etcd's watch: one JSON message a line) until the server or close() ends it. */
    final class Lines implements AutoCloseable {
        private final Connection connection;
        private final InputStream body;
        final int status;

        Lines(Connection connection, Head head) throws IOException {
            this.connection = connection;
            this.body = connection.body(head);
            this.status = head.status;
        }

        /** The next line, without its end; null at the answer's end. */
        String next() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(256);
            int c;
            while ((c = body.read()) >= 0 && c != '\n') b.write(c);
            if (c < 0 && b.size() == 0) return null;
            return b.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** POSTs {@code json} on a connection of its own and hands the answer over as it comes, without a timeout. */
    Lines stream(URI base, String path, String json, String auth) throws IOException {
        Connection c = connect(base);
        try {
            c.socket.setSoTimeout(0);
            Head head = c.request(base, path, json, auth);
            return new Lines(c, head);
        } catch (IOException e) {
            c.close();
            throw e instanceof Unanswered u ? (IOException) u.getCause() : e;
        }
    }

    private Connection take(URI base) throws IOException {
        synchronized (idle) {
            ArrayDeque<Connection> q = idle.get(key(base));
            Connection c = q == null ? null : q.pollFirst();
            if (c != null) return c;
        }
        return connect(base);
    }

    private void give(URI base, Connection c) {
        synchronized (idle) {
            if (!closed) {
                idle.computeIfAbsent(key(base), k -> new ArrayDeque<>()).addFirst(c);
                return;
            }
        }
        c.close();
    }

    private static String key(URI base) {
        return base.getScheme() + "://" + base.getHost() + ":" + base.getPort();
    }

    private Connection connect(URI base) throws IOException {
        if (closed) throw new IOException("etcd client closed");
        String host = base.getHost();
        if (host.startsWith("[")) host = host.substring(1, host.length() - 1); // an IPv6 literal
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, base.getPort()), CONNECT_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            if ("https".equals(base.getScheme())) {
                SSLSocketFactory f = (tls != null ? tls : defaultTls()).getSocketFactory();
                SSLSocket t = (SSLSocket) f.createSocket(s, host, base.getPort(), true);
                SSLParameters p = t.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                t.setSSLParameters(p);
                t.setSoTimeout(CONNECT_TIMEOUT_MS);
                t.startHandshake();
                s = t;
            }
        } catch (IOException e) {
            s.close();
            throw e;
        }
        Connection c = new Connection(s);
        open.add(c);
        if (closed) c.close(); // close() ran meanwhile: it did not see this one
        return c;
    }

    private static SSLContext defaultTls() throws IOException {
        try {
            return SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException("no TLS in this Java runtime", e);
        }
    }

    /** Ends every connection, the watch's among them (a thread reading it gets an IOException). */
    @Override
    public void close() {
        closed = true;
        synchronized (idle) {
            idle.clear();
        }
        for (Connection c : open) c.close();
    }

    /** The status line and the headers that say how the body ends. */
    record Head(int status, long length, boolean chunked, boolean keepAlive) {}

    /** The server closed or failed the connection before the first byte of an answer. */
    private static final class Unanswered extends IOException {
        Unanswered(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        boolean used;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 8192);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
        }

        Head request(URI base, String path, String json, String auth) throws IOException {
            used = true;
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder(160).append("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(base.getHost()).append(':').append(base.getPort())
                    .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            if (auth != null) h.append("Authorization: ").append(auth).append("\r\n");
            h.append("\r\n");
            int first;
            try {
                out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                first = in.read();
            } catch (java.net.SocketTimeoutException e) {
                throw e; // no answer in time: the request may have been carried out, so it is not sent again
            } catch (IOException e) {
                throw new Unanswered(e);
            }
            if (first < 0) throw new Unanswered(new EOFException("etcd closed the connection without an answer"));
            String status = (char) first + line();
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP answer: " + status);
            long length = -1;
            boolean chunked = false;
            boolean keepAlive = parts[0].equals("HTTP/1.1");
            for (String line = line(); !line.isEmpty(); line = line()) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.endsWith("chunked");
                    case "connection" -> keepAlive = value.contains("keep-alive") || (keepAlive && !value.contains("close"));
                    default -> { }
                }
            }
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP answer: " + status);
            }
            // a body that runs to the connection's end cannot share the connection
            return new Head(code, length, chunked, keepAlive && (chunked || length >= 0));
        }

        InputStream body(Head head) {
            if (head.chunked) return new ChunkedBody(in);
            if (head.length >= 0) return new LengthBody(in, head.length);
            return in;
        }

        private String line() throws IOException {
            return EtcdHttp.line(in);
        }

        void close() {
            open.remove(this);
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing: nothing left to do with it
            }
        }
    }

    /** One line of a head, CR LF or LF ended, without its end. */
    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) throw new EOFException("etcd closed the connection in the middle of an answer");
            if (c != '\r') b.append((char) c);
            if (b.length() > MAX_HEAD) throw new IOException("etcd's answer has a head line over " + MAX_HEAD + " bytes");
        }
        return b.toString();
    }

    /** A body of a known length. */
    static final class LengthBody extends InputStream {
        private final InputStream in;
        private long left;

        LengthBody(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) return -1;
            int c = in.read();
            if (c < 0) throw new EOFException("etcd's answer ended " + left + " bytes short");
            left--;
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("etcd's answer ended " + left + " bytes short");
            left -= n;
            return n;
        }
    }

    /** A chunked body (RFC 9112 section 7.1): sizes in hex, each chunk followed by CR LF, a zero size at the end. */
    static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private long left; // of the current chunk
        private boolean started;
        private boolean ended;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        private boolean more() throws IOException {
            if (ended) return false;
            if (left > 0) return true;
            if (started && !line(in).isEmpty()) throw new IOException("etcd's chunked answer lacks the end of a chunk");
            started = true;
            String size = line(in);
            int ext = size.indexOf(';');
            try {
                left = Long.parseLong((ext < 0 ? size : size.substring(0, ext)).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("etcd's chunked answer has a bad chunk size: " + size);
            }
            if (left == 0) {
                while (!line(in).isEmpty()) {
                    // trailers: none of them matter here
                }
                ended = true;
                return false;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (!more()) return -1;
            int c = in.read();
            if (c < 0) throw new EOFException("etcd's answer ended inside a chunk");
            left--;
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!more()) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("etcd's answer ended inside a chunk");
            left -= n;
            return n;
        }
    }
}
