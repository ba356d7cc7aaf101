package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** This JVM's compiler threads, sent to nice 19 and back to 0 as a userspace node's start does (needs root). */
class CompilerThreadsTest {
    @Test
    void theCompilerThreadsGoToNice19AndBack() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "setting a nice value back to 0 needs root: run the tests as root");
        List<Integer> tids = CompilerThreads.tids();
        assertFalse(tids.isEmpty(), "this JVM has compiler threads");
        try {
            assertEquals(tids.size(), CompilerThreads.nice(19));
            assertEquals(List.of(19), nices(tids));
        } finally {
            assertEquals(tids.size(), CompilerThreads.nice(0));
        }
        assertEquals(List.of(0), nices(tids));
    }

    /** The distinct nice values of these threads, from /proc (field 19 of stat, after "pid (comm) "). */
    static List<Integer> nices(List<Integer> tids) throws Exception {
        return tids.stream().map(t -> {
            try {
                String stat = Files.readString(Path.of("/proc/self/task", t.toString(), "stat"));
                return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).distinct().toList();
    }
}
