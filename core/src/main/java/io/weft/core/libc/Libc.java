package io.weft.core.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls weft makes through Java's FFM API, in one place. Hot-path calls (read, writev, poll) take
 * raw addresses as {@code long}, so that a pooled direct buffer's memory address goes straight to the kernel with no
 * segment object per call; setup calls capture errno so that their failures can be explained.
 *
 * <p>Every function is bound through one of two call shapes, {@link #FAST} and {@link #SETUP}, whatever its C
 * signature. The JVM makes a downcall stub per distinct shape (~10 ms each when it starts, spinning classes that no AOT
 * cache holds), and a userspace node carries no traffic until its restarted agent has made them: two shapes instead of
 * twelve take 0.05-0.1 s off that. This is sound on x86-64 (System V) and aarch64 (AAPCS64):
 * integer and pointer arguments travel in the same 64-bit registers, a callee ignores registers past its own
 * parameters and the upper half of a register that holds an {@code int} parameter, and an {@code int} result is the
 * low half of the return register, which the wrappers below narrow. ioctl(2) is variadic in C; on both ABIs its
 * third argument, an integer or a pointer, travels where a fixed one would. Elsewhere (ppc64le's variadic calls need
 * a save area the caller allocates) it is not, so other architectures are refused rather than risked.
 */
public final class Libc {
    private static final Linker LINKER = linker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** Three integer-class arguments, no errno: the per-packet calls. */
    private static final FunctionDescriptor FAST = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    /** Five integer-class arguments after a capture segment that receives errno: the setup calls. */
    private static final FunctionDescriptor SETUP =
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = setup("open");
    private static final MethodHandle CLOSE = fast("close");
    private static final MethodHandle IOCTL = setup("ioctl");
    private static final MethodHandle READ = fast("read");
    private static final MethodHandle WRITE = fast("write");
    private static final MethodHandle WRITEV = fast("writev");
    private static final MethodHandle POLL = fast("poll");
    private static final MethodHandle SETSOCKOPT = setup("setsockopt");
    private static final MethodHandle SOCKET = setup("socket");
    private static final MethodHandle BIND = setup("bind");
    private static final MethodHandle STRERROR = fast("strerror");
    private static final MethodHandle SETPRIORITY = setup("setpriority");

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int EAGAIN = 11;
    public static final int EBUSY = 16;
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EADDRINUSE = 98;
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int EIO = 5;
    public static final int EINVAL = 22;
    public static final short POLLIN = 1;
    public static final int PRIO_PROCESS = 0;

    private Libc() {}

    private static Linker linker() {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("aarch64")) {
            throw new UnsatisfiedLinkError("weft calls libc on x86-64 and aarch64 only, not " + arch);
        }
        return Linker.nativeLinker();
    }

    private static MethodHandle fast(String name) {
        return LINKER.downcallHandle(symbol(name), FAST);
    }

    private static MethodHandle setup(String name) {
        return LINKER.downcallHandle(symbol(name), SETUP, CAPTURE);
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /** One setup call: its result as C's {@code int}, and errno. */
    private static Result call(MethodHandle h, Arena a, long x, long y, long z, long v, long w) throws Throwable {
        MemorySegment st = a.allocate(STATE);
        int r = (int) (long) h.invokeExact(st, x, y, z, v, w);
        return new Result(r, (int) ERRNO.get(st, 0L));
    }

    /** The result of a setup call: its return value and errno. */
    public record Result(long value, int errno) {
        public boolean failed() {
            return value < 0;
        }

        public String error() {
            return strerror(errno) + " (errno " + errno + ")";
        }
    }

    public static Result open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return call(OPEN, a, a.allocateFrom(path).address(), flags, 0, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result ioctl(int fd, long request, MemorySegment arg) {
        if (!arg.isNative()) throw new IllegalArgumentException("ioctl needs native memory");
        try (Arena a = Arena.ofConfined()) {
            return call(IOCTL, a, fd, request, arg.address(), 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result ioctl(int fd, long request, long arg) {
        try (Arena a = Arena.ofConfined()) {
            return call(IOCTL, a, fd, request, arg, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result setsockoptInt(int fd, int level, int name, int value) {
        try (Arena a = Arena.ofConfined()) {
            return call(SETSOCKOPT, a, fd, level, name, a.allocateFrom(JAVA_INT, value).address(), 4);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result socket(int domain, int type, int protocol) {
        try (Arena a = Arena.ofConfined()) {
            return call(SOCKET, a, domain, type, protocol, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setpriority(2) of one thread ({@code tid}, as Linux's PRIO_PROCESS takes a thread id): its nice value. */
    public static Result setNice(int tid, int nice) {
        try (Arena a = Arena.ofConfined()) {
            return call(SETPRIORITY, a, PRIO_PROCESS, tid, nice, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * bind(2) of a unix socket to {@code name} in the abstract namespace (a sockaddr_un whose path starts with a NUL
     * byte), which the JDK's UnixDomainSocketAddress cannot express: such a name belongs to the network namespace,
     * not to any file system, and goes when the last descriptor bound to it closes, also when its process is killed.
     */
    public static Result bindAbstract(int fd, String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (n.length > 107) throw new IllegalArgumentException("abstract socket name too long: " + name);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(110);
            addr.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(n, 0, addr, java.lang.foreign.ValueLayout.JAVA_BYTE, 3, n.length); // sun_path[0] stays 0
            return call(BIND, a, fd, addr.address(), 3 + n.length, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        try {
            return (int) (long) CLOSE.invokeExact((long) fd, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into native memory at {@code address}; -1 on any error (EAGAIN included). */
    public static long read(int fd, long address, long length) {
        try {
            return (long) READ.invokeExact((long) fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, long address, long length) {
        try {
            return (long) WRITE.invokeExact((long) fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** writev(2) with an iovec array already laid out at {@code iov}. */
    public static long writev(int fd, long iov, int count) {
        try {
            return (long) WRITEV.invokeExact((long) fd, iov, (long) count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over a pollfd array at {@code fds}. */
    public static int poll(long fds, long nfds, int timeoutMillis) {
        try {
            return (int) (long) POLL.invokeExact(fds, nfds, (long) timeoutMillis);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static String strerror(int errno) {
        try {
            long s = (long) STRERROR.invokeExact((long) errno, 0L, 0L);
            return MemorySegment.ofAddress(s).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
