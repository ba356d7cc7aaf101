package io.weft.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way of taking the lock is flock(2) on the same file, so they exclude each other (and host-local). */
class FlockTest {
    @TempDir
    Path tmp;

    void excludes(Locker first, Locker second) throws Exception {
        Path f = tmp.resolve("lock");
        AtomicBoolean got = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        try (Flock held = first.lock(f)) {
            Thread t = new Thread(() -> {
                try (Flock l = second.lock(f)) {
                    got.set(true);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                } finally {
                    done.countDown();
                }
            });
            t.start();
            assertFalse(done.await(300, TimeUnit.MILLISECONDS), "second locker must wait while the first holds the lock");
        }
        assertTrue(done.await(10, TimeUnit.SECONDS), "second locker gets the lock once it is released");
        assertTrue(got.get());
    }

    interface Locker {
        Flock lock(Path f) throws Exception;
    }

    @Test
    void toolExcludesFfm() throws Exception {
        excludes(Flock::withTool, Flock::withFfm);
    }

    @Test
    void ffmExcludesTool() throws Exception {
        excludes(Flock::withFfm, Flock::withTool);
    }

    @Test
    void jniExcludesTool() throws Exception {
        requireJni();
        excludes(Flock::withJni, Flock::withTool);
    }

    @Test
    void toolExcludesJni() throws Exception {
        requireJni();
        excludes(Flock::withTool, Flock::withJni);
    }

    @Test
    void jniExcludesJniAndFfm() throws Exception {
        requireJni();
        excludes(Flock::withJni, Flock::withJni);
        excludes(Flock::withJni, Flock::withFfm);
    }

    static void requireJni() {
        assertTrue(io.weft.cni.netlink.Native.available(), "the JNI library did not load from "
                + System.getProperty("weft.cni.native") + " (built at process-classes where a C compiler exists)");
    }

    @Test
    void toolExcludesTool() throws Exception {
        excludes(Flock::withTool, Flock::withTool);
    }
}
