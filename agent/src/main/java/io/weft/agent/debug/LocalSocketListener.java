package io.weft.agent.debug;

import io.weft.agent.http.HealthServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Logger;

/**
 * The debug API on a unix socket, {@code /run/weft/weftd.sock} by default: reachable only from the node itself,
 * and only by the agent's own user (root), because the socket file has mode 0600 from the moment it has its name
 * (it is bound under a temporary name, restricted, then renamed). A socket that answers at start means another
 * agent runs on this node, which is refused; one that does not answer is left over from a killed agent and
 * replaced.
 */
public final class LocalSocketListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalSocketListener.class.getName());

    private final Path path;
    private final ServerSocketChannel channel;
    private final DebugServer server;

    private LocalSocketListener(Path path, ServerSocketChannel channel, DebugServer server) {
        this.path = path;
        this.channel = channel;
        this.server = server;
    }

    public static LocalSocketListener open(Path path, DebugServer server) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!"socket".equals(fileType(path))) {
                throw new IOException(path + " exists and is not a socket; remove it or give --debug-socket another path");
            }
            if (answers(path)) {
                throw new IOException("another weftd is running on this node (it answers on " + path + "); stop it first, "
                        + "two agents would fight over the same devices and routes");
            }
            Files.delete(path); // left by an agent that was killed
        }
        Path tmp = dir.resolve("." + path.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(tmp);
            throw new IOException("cannot serve the debug API on " + path + ": " + e.getMessage(), e);
        }
        LocalSocketListener l = new LocalSocketListener(path, ch, server);
        Thread.ofPlatform().daemon().name("weft-debug-local").start(l::acceptLoop);
        server.add(l);
        return l;
    }

    private static String fileType(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return ((Integer) mode & 0170000) == 0140000 ? "socket" : "other";
    }

    private static boolean answers(Path path) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (channel.isOpen()) {
            SocketChannel c;
            try {
                c = channel.accept();
            } catch (IOException e) {
                if (channel.isOpen()) LOG.warning("debug socket " + path + ": accept failed: " + e.getMessage());
                continue;
            }
            if (!server.admit("local")) {
                busy(c);
                continue;
            }
            HealthServer.CONNECTION_THREADS.newThread(() -> {
                try {
                    serve(c);
                } finally {
                    server.release("local");
                }
            }).start();
        }
    }

    /** Answers a connection beyond the debug API's limit at once (a few bytes: the socket's buffer takes them). */
    private static void busy(SocketChannel c) {
        try (c) {
            new DebugResponse(Channels.newOutputStream(c)).text(503, "too many debug connections at once; try again");
        } catch (IOException e) {
            LOG.fine("debug socket connection: " + e.getMessage());
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            String caller = "uid " + peerUser(c);
            server.serve("local", caller, Channels.newInputStream(c), Channels.newOutputStream(c), HeadDeadline.start(c));
        } catch (IOException e) {
            LOG.fine("debug socket connection: " + e.getMessage());
        }
    }

    private static String peerUser(SocketChannel c) {
        try {
            return c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        Files.deleteIfExists(path);
    }
}
