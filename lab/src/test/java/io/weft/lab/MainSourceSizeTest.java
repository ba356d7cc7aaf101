package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** No main source file over 400 lines: a class that long holds more than one idea (split it by what it is). */
class MainSourceSizeTest {
    private static final int LIMIT = 400;
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void everyMainSourceFileFitsTheLimit() throws IOException {
        List<String> tooLong;
        int seen;
        try (Stream<Path> files = Stream.of("core", "cni-plugin", "agent", "lab")
                .map(m -> ROOT.resolve(m).resolve("src/main/java"))
                .flatMap(MainSourceSizeTest::walk)) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".java")).toList();
            seen = all.size();
            tooLong = all.stream().filter(p -> lines(p) > LIMIT).map(p -> ROOT.relativize(p) + " (" + lines(p) + ")").sorted().toList();
        }
        assertTrue(seen > 100, "found only " + seen + " main source files under " + ROOT);
        assertEquals(List.of(), tooLong, "main source files over " + LIMIT + " lines");
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + dir, e);
        }
    }

    private static long lines(Path p) {
        try (Stream<String> s = Files.lines(p)) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + p, e);
        }
    }
}
