package io.weft.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Where a benchmarked agent's memory goes, saved beside its RSS reading: the JVM's own accounts through jcmd (heap,
 * class histogram, native memory tracking when the agent runs with it) and the kernel's (/proc status and
 * smaps_rollup), one file per store and reading.
 */
final class AgentDiag {
    /** The live class histogram last: it runs a full collection (the agent's later readings are not the bench's then). */
    private static final List<String> JCMD = List.of("GC.heap_info", "VM.native_memory summary", "GC.class_histogram");

    private final Path dir;

    AgentDiag(Path dir) {
        this.dir = dir;
    }

    void save(long pid, String store, String peers) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        StringBuilder out = new StringBuilder();
        for (String proc : List.of("status", "smaps_rollup")) {
            out.append("== /proc/").append(pid).append('/').append(proc).append('\n');
            out.append(Files.readString(Path.of("/proc/" + pid + "/" + proc))).append('\n');
        }
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (String c : JCMD) {
            out.append("== jcmd ").append(c).append('\n');
            List<String> cmd = new ArrayList<>(List.of(jcmd, Long.toString(pid)));
            cmd.addAll(List.of(c.split(" ")));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            out.append(new String(p.getInputStream().readAllBytes()));
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            out.append('\n');
        }
        String name = store.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-" + peers + ".txt";
        Files.writeString(dir.resolve(name), out);
        System.out.println("  (agent's memory accounts saved to " + dir.resolve(name) + ")");
    }
}
