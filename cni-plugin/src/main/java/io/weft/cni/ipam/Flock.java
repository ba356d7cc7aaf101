package io.weft.cni.ipam;

import io.weft.cni.netlink.Native;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * An exclusive flock(2) on a file, the lock the reference host-local takes on {@code <dir>/lock}.
 * Java's FileChannel.lock() takes POSIX record locks (fcntl), which do not exclude flock holders, so it would
 * not keep weft and host-local apart.
 *
 * <p>Three ways to flock, the first that this node has: flock(2) through the plugin's JNI library (what an
 * ADD and DEL use wherever the build had a C compiler: tens of microseconds); util-linux's flock(1) holding the
 * lock around a {@code cat} child that lives as long as its stdin is open (about 3 ms, and the lock goes away
 * with this process even if it is killed); flock(2) through the FFM API (correct, but building the downcall
 * stubs costs ~60 ms of a cold JVM's time, which is most of an ADD).
 */
public final class Flock implements AutoCloseable {
    private static final String TOOL = tool(System.getProperty("weft.cni.flockTool"));

    /**
     * flock(1) if the node has it; {@code -Dweft.cni.flockTool=none} (through WEFT_JAVA_OPTS) forces the in-process
     * flock(2), as on a node without util-linux, and a path names another flock(1).
     */
    static String tool(String override) {
        if ("none".equals(override)) return null;
        if (override != null && !override.isEmpty()) return override;
        return java.nio.file.Files.isExecutable(Path.of("/usr/bin/flock")) ? "/usr/bin/flock"
                : java.nio.file.Files.isExecutable(Path.of("/bin/flock")) ? "/bin/flock" : null;
    }
    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2;
    private static final int LOCK_UN = 8;
    private static final int EINTR = 4;


    /** The FFM stubs, built only when flock(1) is missing. */
    private static final class Ffm {
        static final Linker LINKER = Linker.nativeLinker();
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ValueLayout.ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
        static final MethodHandle FLOCK = handle("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.captureCallState("errno"));
        static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
        }
    }

    private final int fd;
    private final boolean jni;
    private final Process holder;

    private Flock(int fd, boolean jni) {
        this.fd = fd;
        this.jni = jni;
        this.holder = null;
    }

    private Flock(Process holder) {
        this.fd = -1;
        this.jni = false;
        this.holder = holder;
    }


    /**
     * The command prefix that runs a command under the lock ({@code flock -x FILE}, creating the file), for a
     * process that should hold the lock for exactly as long as it runs; null where flock(1) is missing.
     */
    public static List<String> commandPrefix(Path file) {
        return TOOL == null ? null : List.of(TOOL, "-x", file.toString());
    }

    /** Opens (creating it if needed) and locks exclusively, waiting for any other holder. */
    public static Flock exclusive(Path file) throws IOException {
        if (Native.available()) return withJni(file);
        return TOOL != null ? withTool(file) : withFfm(file);
    }

    static Flock withJni(Path file) throws IOException {
        int fd = Native.open(file.toString(), O_RDWR | O_CREAT, 0644);
        if (fd < 0) throw new IOException("cannot open lock file " + file + ": " + Native.strerror(-fd));
        int r = Native.flock(fd, LOCK_EX);
        if (r < 0) {
            Native.close(fd);
            throw new IOException("cannot lock " + file + ": " + Native.strerror(-r));
        }
        io.weft.cni.Trace.mark("flock(2) holds the lock");
        return new Flock(fd, true);
    }

    static Flock withTool(Path file) throws IOException {
        Process p = new ProcessBuilder(TOOL, "-x", file.toString(), "cat")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // cat runs only once flock(1) holds the lock: the echo of one byte says the lock is ours.
        io.weft.cni.Trace.mark("flock(1) started");
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        if (p.getInputStream().read() < 0) {
            int code;
            try {
                code = p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                code = -1;
            }
            throw new IOException("cannot lock " + file + " with " + TOOL + " (exit " + code + ")");
        }
        io.weft.cni.Trace.mark("flock(1) holds the lock");
        return new Flock(p);
    }

    static Flock withFfm(Path file) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Ffm.STATE);
            int fd = (int) Ffm.OPEN.invokeExact(state, a.allocateFrom(file.toString()), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) throw new IOException("cannot open lock file " + file + ": errno " + (int) Ffm.ERRNO.get(state, 0L));
            while (true) {
                int r = (int) Ffm.FLOCK.invokeExact(state, fd, LOCK_EX);
                if (r == 0) {
                    io.weft.cni.Trace.mark("flock(2) through FFM holds the lock");
                    return new Flock(fd, false);
                }
                int errno = (int) Ffm.ERRNO.get(state, 0L);
                if (errno != EINTR) {
                    int ignored = (int) Ffm.CLOSE.invokeExact(fd);
                    throw new IOException("cannot lock " + file + ": errno " + errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("flock " + file + ": " + t, t);
        }
    }

    @Override
    public void close() {
        if (holder != null) {
            try {
                holder.getOutputStream().close(); // cat sees EOF, exits, flock(1) exits and the lock is released
            } catch (IOException e) {
                holder.destroy();
            }
            return;
        }
        if (jni) {
            Native.close(fd); // closing the only descriptor of the open file releases its flock
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            int r1 = (int) Ffm.FLOCK.invokeExact(a.allocate(Ffm.STATE), fd, LOCK_UN);
            int r2 = (int) Ffm.CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // the lock goes with the process anyway
        }
    }
}
