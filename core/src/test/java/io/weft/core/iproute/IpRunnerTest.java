package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpRunnerTest {

    @Test
    void capturesExitCodeStdoutAndStderr() {
        IpRunner.Result r = IpRunner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), null);
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), r.command());
        IpException e = assertThrows(IpException.class, r::orThrow);
        assertEquals(3, e.exitCode());
        assertTrue(e.getMessage().contains("exited 3: err"), e.getMessage());
    }

    @Test
    void feedsStdinAndClosesIt() {
        assertEquals("a b\n", IpRunner.run(List.of("cat"), "a b\n").orThrow().stdout());
        assertEquals("", IpRunner.run(List.of("cat"), null).orThrow().stdout(), "no stdin: EOF, not a hang");
    }

    @Test
    void bigStdinAndBigStdoutAtOnceDoNotDeadlock() {
        // a tool that answers while it reads (ip -batch with show commands, cat): both pipes must be drained
        // while stdin is still being written, or both sides block on a full 64 KiB pipe
        String in = "route show table main\n".repeat(100_000);
        IpRunner.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> IpRunner.run(List.of("cat"), in));
        assertEquals(0, r.exitCode());
        assertEquals(in.length(), r.stdout().length());
        IpRunner.Result e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> IpRunner.run(List.of("sh", "-c", "cat >&2"), in));
        assertEquals(in.length(), e.stderr().length());
    }

    @Test
    void aToolThatStopsReadingEarlyIsNotAnError() {
        IpRunner.Result r = IpRunner.run(List.of("sh", "-c", "head -c 10 >/dev/null; exit 4"), "x".repeat(1 << 20));
        assertEquals(4, r.exitCode());
    }

    @Test
    void aMissingBinaryIsAnIpExceptionThatSaysSo() {
        IpException e = assertThrows(IpException.class, () -> IpRunner.run(List.of("/nonexistent/ip", "link"), null));
        assertEquals(127, e.exitCode());
        assertTrue(e.getMessage().contains("cannot start /nonexistent/ip"), e.getMessage());
    }
}
