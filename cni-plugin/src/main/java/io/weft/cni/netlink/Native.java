package io.weft.cni.netlink;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The plugin's JNI library (src/main/c/weftcni.c, built into weft-runtime/lib by {@code package}; a C compiler is
 * part of the build): netlink sockets in any network namespace and flock(2), so no command starts a process. The
 * launcher names the library in {@code -Dweft.cni.native}; without that property (a native executable, started
 * without the launcher) it is looked for in {@code weft-runtime/lib} beside the executable. There is no other way
 * to reach the kernel: where the library will not load, {@link #ensureAvailability()} says why, as Netty's
 * {@code Epoll.ensureAvailability()} does.
 */
public final class Native {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    static final int NETLINK_ROUTE = 0;
    static final int NETLINK_NETFILTER = 12;
    static final int MSG_DONTWAIT = 0x40;
    static final int EAGAIN = 11;

    private static final String LIBRARY = "libweftcni.so";
    private static final Throwable UNAVAILABILITY_CAUSE = load(System.getProperty("weft.cni.native"));

    private Native() {}

    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the library did not load, or null. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** Throws, naming the cause and the way out, when the library did not load. */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw new NetlinkException("weft cannot reach the kernel: its JNI library did not load ("
                    + UNAVAILABILITY_CAUSE.getMessage() + "); reinstall the plugin with install-cni.sh");
        }
    }

    private static Throwable load(String path) {
        try {
            Path lib;
            if (path != null && !path.isEmpty()) {
                lib = Path.of(path).toAbsolutePath();
            } else {
                Path exe = Files.readSymbolicLink(Path.of("/proc/self/exe"));
                lib = exe.resolveSibling("weft-runtime").resolve("lib").resolve(LIBRARY);
            }
            System.load(lib.toString());
            return null;
        } catch (UnsatisfiedLinkError | java.io.IOException | RuntimeException e) {
            return e;
        }
    }

    /** A netlink socket of {@code protocol} made in the namespace at {@code netnsPath} (null: this process's), or -errno. */
    static native int socket(String netnsPath, int protocol);

    public static native int open(String path, int flags, int mode);

    public static native int flock(int fd, int op);

    public static native int close(int fd);

    static native int send(int fd, byte[] buf, int len);

    static native int recv(int fd, byte[] buf, int flags);

    public static native String strerror(int errno);
}
