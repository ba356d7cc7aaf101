package io.weft.core.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
 * raw addresses as {@code long} (same ABI class as a pointer on x86-64 and aarch64), so that a pooled direct
 * buffer's memory address goes straight to the kernel with no segment object per call; setup calls capture
 * errno so that their failures can be explained.
 */
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = h("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
    private static final MethodHandle CLOSE = h("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = h("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2), CAPTURE);
    private static final MethodHandle IOCTL_LONG = h("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2), CAPTURE);
    private static final MethodHandle READ = h("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = h("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITEV = h("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL = h("poll", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = h("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE);
    private static final MethodHandle STRERROR = h("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

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

    private Libc() {}

    private static MethodHandle h(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(addr, fd, options);
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
            MemorySegment st = a.allocate(STATE);
            int r = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags);
            return new Result(r, (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result ioctl(int fd, long request, MemorySegment arg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) IOCTL_PTR.invokeExact(st, fd, request, arg);
            return new Result(r, (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result ioctl(int fd, long request, long arg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) IOCTL_LONG.invokeExact(st, fd, request, arg);
            return new Result(r, (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result setsockoptInt(int fd, int level, int name, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            int r = (int) SETSOCKOPT.invokeExact(st, fd, level, name, v, 4);
            return new Result(r, (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static Result socket(int domain, int type, int protocol) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) SOCKET.invokeExact(st, domain, type, protocol);
            return new Result(r, (int) ERRNO.get(st, 0L));
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
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = a.allocate(110);
            addr.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(n, 0, addr, java.lang.foreign.ValueLayout.JAVA_BYTE, 3, n.length); // sun_path[0] stays 0
            int r = (int) BIND.invokeExact(st, fd, addr, 3 + n.length);
            return new Result(r, (int) ERRNO.get(st, 0L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into native memory at {@code address}; -1 on any error (EAGAIN included). */
    public static long read(int fd, long address, long length) {
        try {
            return (long) READ.invokeExact(fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, long address, long length) {
        try {
            return (long) WRITE.invokeExact(fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** writev(2) with an iovec array already laid out at {@code iov}. */
    public static long writev(int fd, long iov, int count) {
        try {
            return (long) WRITEV.invokeExact(fd, iov, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over a pollfd array at {@code fds}. */
    public static int poll(long fds, long nfds, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(fds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
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
