package io.weft.agent.debug;

import io.weft.agent.http.HealthServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The debug API over TCP, for access from other machines, which the operator turns on with {@code --debug-listen}:
 * TLS that demands a client certificate signed by the CA the operator gives ({@code --debug-client-ca-file}). A
 * connection without one never gets past the handshake, so no request of it is read. Refused handshakes are
 * counted ({@code denied}) and logged at most once a minute, so a scanner cannot flood the log.
 */
public final class TlsListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TlsListener.class.getName());

    private final SSLServerSocket socket;
    private final DebugServer server;
    private final AtomicLong deniedSinceLog = new AtomicLong();
    private volatile long lastDeniedLog;

    private TlsListener(SSLServerSocket socket, DebugServer server) {
        this.socket = socket;
        this.server = server;
    }

    /** @param context a server context whose trust managers hold only the operator's client CA */
    public static TlsListener open(InetSocketAddress address, SSLContext context, DebugServer server) throws IOException {
        SSLServerSocket s;
        try {
            s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(address.getPort(), 50, address.getAddress());
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort()
                    + " for the debug API (--debug-listen): " + e.getMessage(), e);
        }
        s.setNeedClientAuth(true);
        s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        TlsListener l = new TlsListener(s, server);
        Thread.ofPlatform().daemon().name("weft-debug-tls").start(l::acceptLoop);
        server.add(l);
        return l;
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                if (!socket.isClosed()) LOG.warning("debug TLS listener: accept failed: " + e.getMessage());
                continue;
            }
            if (!server.admit("tls")) {
                try {
                    c.close(); // before any handshake: nothing is read from a connection beyond the limit
                } catch (IOException ignored) {
                    // gone already
                }
                continue;
            }
            HealthServer.CONNECTION_THREADS.newThread(() -> {
                try {
                    serve((SSLSocket) c);
                } finally {
                    server.release("tls");
                }
            }).start();
        }
    }

    private void serve(SSLSocket c) {
        String from = c.getInetAddress().getHostAddress();
        try (c) {
            Runnable headDone = HeadDeadline.start(c);
            String subject;
            try {
                c.startHandshake();
                subject = ((X509Certificate) c.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (IOException e) {
                denied(from, e);
                return;
            }
            server.serve("tls", subject + " from " + from, c.getInputStream(), c.getOutputStream(), headDone);
        } catch (IOException e) {
            LOG.fine("debug TLS connection from " + from + ": " + e.getMessage());
        }
    }

    private void denied(String from, IOException e) {
        server.count("tls", "denied");
        long n = deniedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        if (lastDeniedLog == 0 || now - lastDeniedLog > 60_000_000_000L) {
            lastDeniedLog = now;
            deniedSinceLog.set(0);
            LOG.warning("debug API: refused a connection from " + from + " without a valid client certificate ("
                    + e.getMessage() + ")" + (n > 1 ? "; " + (n - 1) + " more refused since the last such line" : ""));
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
