package io.weft.cni.ipam;

import io.weft.cni.netlink.Native;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An exclusive flock(2) on a file, the lock the reference host-local takes on {@code <dir>/lock}, through the
 * plugin's JNI library. Java's FileChannel.lock() takes POSIX record locks (fcntl), which do not exclude flock
 * holders, so it would not keep weft and host-local apart. The lock goes with the process, also when it is killed.
 */
public final class Flock implements AutoCloseable {
    private static final int LOCK_EX = 2;

    private final int fd;

    private Flock(int fd) {
        this.fd = fd;
    }

    /** Opens (creating it if needed) and locks exclusively, waiting for any other holder. */
    public static Flock exclusive(Path file) throws IOException {
        Native.ensureAvailability();
        int fd = Native.open(file.toString(), Native.O_RDWR | Native.O_CREAT, 0644);
        if (fd < 0) throw new IOException("cannot open lock file " + file + ": " + Native.strerror(-fd));
        int r = Native.flock(fd, LOCK_EX);
        if (r < 0) {
            Native.close(fd);
            throw new IOException("cannot lock " + file + ": " + Native.strerror(-r));
        }
        return new Flock(fd);
    }

    @Override
    public void close() {
        Native.close(fd); // closing the only descriptor of the open file releases its flock
    }
}
