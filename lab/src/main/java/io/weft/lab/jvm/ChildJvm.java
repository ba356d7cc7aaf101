package io.weft.lab.jvm;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A JVM of this build's classes started inside a network namespace ({@code ip netns exec <ns> java ...}): a JVM
 * cannot move its threads between namespaces, so every agent, userspace VTEP, traffic tool and stand-in server the
 * lab runs in a namespace is a child JVM started this way.
 *
 * <p>A child that passes a class-data archive runs on this JVM's class path with every class directory (a build's
 * target/classes) packed into a jar once: the JVM archives classes for a faster next start only from jars, which is
 * how weftd runs in production (its launcher runs it from jars with the build's AOT cache). The archive is written
 * when the first such process exits and used by the ones after it, so a restarted agent starts warm.
 */
public final class ChildJvm {
    private static String packed;

    private ChildJvm() {}

    /** This JVM's java executable. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code ip netns exec netns java [class-data archive and packed class path | this class path] options main args}.
     *
     * @param archive the class-data archive shared by the starts of one process (an agent, a VTEP), or null for a
     *                plain start on this JVM's class path (a short-lived tool)
     */
    public static List<String> command(String netns, Path archive, List<String> options, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns, java()));
        if (archive != null) {
            cmd.addAll(List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off",
                    "-Xlog:cds+dynamic=off", "-cp", packedClassPath()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        }
        cmd.addAll(options);
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Reads a child's output until a line starts with {@code prefix}; fails with everything read if it ends first. */
    public static String await(Process p, String prefix, long timeoutSeconds) throws Exception {
        StringBuilder all = new StringBuilder();
        var reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        var f = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    all.append(line).append('\n');
                    if (line.startsWith(prefix)) return line;
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError("timed out waiting for " + prefix + "; output:\n" + all);
        }
        if (line == null) throw new AssertionError("no " + prefix + " line; output:\n" + all);
        return line;
    }

    static synchronized String packedClassPath() {
        if (packed != null) return packed;
        try {
            Path dir = Files.createTempDirectory("weft-lab-cp-");
            dir.toFile().deleteOnExit();
            List<String> out = new ArrayList<>();
            int i = 0;
            for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(e);
                if (Files.isDirectory(p)) {
                    Path jar = dir.resolve("classes-" + i++ + ".jar");
                    pack(p, jar);
                    jar.toFile().deleteOnExit();
                    out.add(jar.toString());
                } else if (Files.exists(p)) {
                    out.add(e);
                }
            }
            packed = String.join(File.pathSeparator, out);
            return packed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pack(Path root, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os);
             Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                j.putNextEntry(new JarEntry(root.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
    }
}
