package io.weft.agent;

import io.weft.core.libc.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The JIT's compiler threads of this JVM. The launcher starts a userspace node's at nice 19, so that a restart's start
 * comes first (the node is dark until it is done); once the agent is ready they go back to nice 0, or on a node whose
 * pods keep the CPU busy the datapath's hot code would wait long for C2. Compiler threads the JVM adds later (on
 * machines with many CPUs, under a load of compiles) start at nice 19 still.
 */
final class CompilerThreads {
    private static final Path TASKS = Path.of("/proc/self/task");

    private CompilerThreads() {}

    /** Sets every compiler thread's nice value; returns how many it set, or -1 if one refused. */
    static int nice(int nice) {
        int set = 0;
        for (int tid : tids()) {
            if (Libc.setNice(tid, nice).failed()) return -1;
            set++;
        }
        return set;
    }

    /** The thread ids of the compiler threads ("C1 CompilerThre", "C2 CompilerThre": Linux keeps 15 characters). */
    static List<Integer> tids() {
        try (Stream<Path> tasks = Files.list(TASKS)) {
            return tasks.filter(CompilerThreads::isCompiler).map(t -> Integer.parseInt(t.getFileName().toString())).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isCompiler(Path task) {
        try {
            return Files.readString(task.resolve("comm")).contains("CompilerThre");
        } catch (IOException e) {
            return false; // the thread ended
        }
    }
}
