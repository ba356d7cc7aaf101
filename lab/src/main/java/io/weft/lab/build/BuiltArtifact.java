package io.weft.lab.build;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds an executable this build tree made ({@code <module>/target/<file>}): beside the lab launcher's
 * {@code weft.home} first, so that {@code lab/target/weft-lab} run from anywhere uses its own build, then under the
 * working directory and its parent (Maven runs a module's tests from the module's directory).
 */
public final class BuiltArtifact {
    private BuiltArtifact() {}

    public static Optional<Path> find(String module, String file) {
        List<Path> candidates = new ArrayList<>();
        String home = System.getProperty("weft.home");
        if (home != null) candidates.add(Path.of(home, "../..", module, "target", file));
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd.resolve(Path.of(module, "target", file)));
        candidates.add(cwd.resolve(Path.of("..", module, "target", file)));
        return candidates.stream().map(p -> p.toAbsolutePath().normalize()).filter(Files::isExecutable).findFirst();
    }
}
