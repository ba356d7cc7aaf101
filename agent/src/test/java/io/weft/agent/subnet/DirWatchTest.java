package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirWatchTest {
    @TempDir
    Path tmp;

    /**
     * 5000 lease files renamed into the directory at once, as a cluster's nodes join together: every name arrives as
     * a change of its own, with no overflow (which would make the reader list and read the whole directory again).
     */
    @Test
    void aBurstOfThousandsOfFilesArrivesNameByNameWithoutARescan() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("subnets"));
        Path staging = Files.createDirectories(tmp.resolve("staging"));
        List<Path> staged = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            Path f = staging.resolve("10." + (i / 250) + "." + (i % 250) + ".0-24");
            Files.writeString(f, "{}");
            staged.add(f);
        }
        ChangeSignal changed = new ChangeSignal();
        // the watch's thread is held at the first name until every file is in, as a busy agent's may be: the other
        // 4999 events wait in the JDK meanwhile
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        try (DirWatch w = DirWatch.start(dir, changed, name -> {
            held.countDown();
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return !name.startsWith(".");
        })) {
            assertTrue(w.takeRescan(), "the first reader lists everything");
            for (Path f : staged) Files.move(f, dir.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            assertTrue(held.await(10, TimeUnit.SECONDS));
            Thread.sleep(500); // the JDK's poller reads the kernel's queue meanwhile
            go.countDown();
            Set<String> seen = new HashSet<>();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (seen.size() < 5000 && System.nanoTime() < deadline) {
                changed.await(200);
                assertFalse(w.takeRescan(), "events were dropped: the reader would read all files again");
                seen.addAll(w.takeChanged());
            }
            assertEquals(5000, seen.size());
        }
    }
}
