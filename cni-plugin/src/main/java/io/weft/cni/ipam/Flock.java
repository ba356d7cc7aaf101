package io.weft.cni.ipam;

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

/**
 * An exclusive flock(2) on a file, the lock the reference host-local takes on {@code <dir>/lock}.
 * Java's FileChannel.lock() takes POSIX record locks (fcntl), which do not exclude flock holders, so it would
 * not keep weft and host-local apart: this calls flock itself through the FFM API.
 */
public final class Flock implements AutoCloseable {
    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2;
    private static final int LOCK_UN = 8;
    private static final int EINTR = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ValueLayout.ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    private static final MethodHandle FLOCK = handle("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final int fd;

    private Flock(int fd) {
        this.fd = fd;
    }

    private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

    /** Opens (creating it 0644 if needed) and locks exclusively, waiting for any other holder. */
    public static Flock exclusive(Path file) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(file.toString()), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) throw new IOException("cannot open lock file " + file + ": errno " + (int) ERRNO.get(state, 0L));
            while (true) {
                int r = (int) FLOCK.invokeExact(state, fd, LOCK_EX);
                if (r == 0) return new Flock(fd);
                int errno = (int) ERRNO.get(state, 0L);
                if (errno != EINTR) {
                    int ignored = (int) CLOSE.invokeExact(fd);
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
        try (Arena a = Arena.ofConfined()) {
            int r1 = (int) FLOCK.invokeExact(a.allocate(STATE), fd, LOCK_UN);
            int r2 = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // the lock goes with the process anyway
        }
    }
}
