package io.weft.core.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Libc binds every function through one of two uniform call shapes (see its comment): these calls check, against the
 * real libc, that arguments narrower than a register arrive intact and that {@code int} results, -1 above all, and
 * errno come back as C gives them.
 */
class LibcTest {
    private static final int EBADF = 9;

    @Test
    void setupCallsReturnMinusOneAndTheirErrno() {
        Libc.Result missing = Libc.open("/nonexistent/weft-libc-test", Libc.O_RDWR | Libc.O_CLOEXEC);
        assertEquals(-1, missing.value());
        assertEquals(Libc.ENOENT, missing.errno());
        assertEquals("No such file or directory (errno 2)", missing.error());

        assertEquals(new Libc.Result(-1, EBADF), Libc.ioctl(-1, 0x8910L /* SIOCGIFNAME */, 0L));
        assertEquals(new Libc.Result(-1, EBADF), Libc.setsockoptInt(-1, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, 1));
        assertEquals(-1, Libc.close(-1));
    }

    @Test
    void aSecondBindOfOneAbstractNameIsRefused() {
        Libc.Result a = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        Libc.Result b = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        try {
            assertTrue(a.value() >= 0 && b.value() >= 0, a + " " + b);
            String name = "weft-libc-test-" + ProcessHandle.current().pid();
            assertEquals(0, Libc.bindAbstract((int) a.value(), name).value()); // errno is stale on success, as in C
            assertEquals(new Libc.Result(-1, Libc.EADDRINUSE), Libc.bindAbstract((int) b.value(), name));
        } finally {
            assertEquals(0, Libc.close((int) a.value()));
            assertEquals(0, Libc.close((int) b.value()));
        }
    }

    @Test
    void dataCallsMoveBytesThroughARealFile() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("weft-libc", ".bin");
        try (Arena arena = Arena.ofConfined()) {
            Libc.Result fd = Libc.open(f.toString(), Libc.O_RDWR | Libc.O_CLOEXEC);
            assertTrue(fd.value() >= 0, fd.error());
            byte[] text = "weft".getBytes(StandardCharsets.US_ASCII);
            MemorySegment buf = arena.allocate(64);
            MemorySegment.copy(text, 0, buf, ValueLayout.JAVA_BYTE, 0, text.length);
            assertEquals(4, Libc.write((int) fd.value(), buf.address(), 4));
            // one iovec of the same four bytes: the file holds "weftweft"
            MemorySegment iov = arena.allocate(16);
            iov.set(ValueLayout.JAVA_LONG, 0, buf.address());
            iov.set(ValueLayout.JAVA_LONG, 8, 4);
            assertEquals(4, Libc.writev((int) fd.value(), iov.address(), 1));
            assertEquals(-1, Libc.read(-1, buf.address(), 4));
            // poll on the file: readable at once, and a negative timeout (block) reaches poll(2) as -1, not 2^32-1
            MemorySegment pfd = arena.allocate(8);
            pfd.set(ValueLayout.JAVA_INT, 0, (int) fd.value());
            pfd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            assertEquals(1, Libc.poll(pfd.address(), 1, -1));
            assertEquals(0, Libc.close((int) fd.value()));
            assertEquals("weftweft", java.nio.file.Files.readString(f));
        } finally {
            java.nio.file.Files.delete(f);
        }
    }
}
