package io.weft.cni.netlink;

/**
 * The plugin's JNI library (src/main/c/weftcni.c, built into weft-runtime/lib by {@code package} where a C
 * compiler exists): rtnetlink sockets in any network namespace and flock(2), so an ADD or DEL changes the
 * kernel without starting a process. The launcher names the library in {@code -Dweft.cni.native}; where it is
 * missing or will not load ({@code -Dweft.cni.native=none} forces that), the plugin runs iproute2 and flock(1)
 * instead and says so on stderr once.
 */
public final class Native {
    public static final int O_RDONLY = 0;

    private static final boolean LOADED = load(System.getProperty("weft.cni.native"));

    private Native() {}

    /** True when the library is loaded and the netlink paths can be used. */
    public static boolean available() {
        return LOADED;
    }

    private static boolean load(String path) {
        if (path == null || path.isEmpty() || path.equals("none")) return false;
        try {
            System.load(java.nio.file.Path.of(path).toAbsolutePath().toString());
            return true;
        } catch (UnsatisfiedLinkError e) {
            System.err.println("weft: cannot load " + path + " (" + e.getMessage() + "): using iproute2 processes instead");
            return false;
        }
    }

    /** An rtnetlink socket made in the namespace at {@code netnsPath} (null: this process's), or -errno. */
    static native int routeSocket(String netnsPath);

    public static native int open(String path, int flags, int mode);

    public static native int flock(int fd, int op);

    public static native int close(int fd);

    static native int send(int fd, byte[] buf, int len);

    static native int recv(int fd, byte[] buf);

    public static native String strerror(int errno);
}
