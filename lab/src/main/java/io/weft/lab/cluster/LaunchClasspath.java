package io.weft.lab.cluster;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The class path agents started by the lab run on: this JVM's, with every class directory (a build's
 * target/classes) packed into a jar once. The JVM archives classes for a faster next start (class-data sharing)
 * only from jars, which is how weftd runs in production: its launcher runs it from jars with the build's AOT cache.
 */
public final class LaunchClasspath {
    private static String cached;

    private LaunchClasspath() {}

    /**
     * JVM arguments for a process the lab starts: this class path, and a class-data archive at {@code archive}
     * written when the first such process exits and used by the ones after it (a restart starts warm).
     */
    public static List<String> javaArgs(Path archive) {
        return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off", "-cp", get());
    }

    static synchronized String get() {
        if (cached != null) return cached;
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
            cached = String.join(File.pathSeparator, out);
            return cached;
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
