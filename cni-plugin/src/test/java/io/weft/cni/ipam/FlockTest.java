package io.weft.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.netlink.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IPAM lock is flock(2) on host-local's lock file: it excludes itself across descriptors (as across
 * processes) and any other flock(2) holder, here util-linux's flock(1) standing in for host-local (Go's
 * syscall.Flock is the same call).
 */
class FlockTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void library() {
        assertTrue(Native.isAvailable(), "the JNI library did not load from " + System.getProperty("weft.cni.native") + ": "
                + Native.unavailabilityCause());
    }

    /** Takes the lock on a thread of its own, counting {@code got} down once it holds it. */
    static Thread lockOnAThread(Path f, CountDownLatch got) {
        Thread t = new Thread(() -> {
            try (Flock l = Flock.exclusive(f)) {
                got.countDown();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        t.start();
        return t;
    }

    @Test
    void excludesItself() throws Exception {
        Path f = tmp.resolve("lock");
        CountDownLatch got = new CountDownLatch(1);
        try (Flock held = Flock.exclusive(f)) {
            lockOnAThread(f, got);
            assertFalse(got.await(300, TimeUnit.MILLISECONDS), "the second locker must wait while the first holds the lock");
        }
        assertTrue(got.await(10, TimeUnit.SECONDS), "the second locker gets the lock once it is released");
    }

    @Test
    void excludesAndIsExcludedByAnotherProcesssFlock() throws Exception {
        Path f = tmp.resolve("lock");
        // flock(1) holds the lock for as long as its cat runs, which is as long as cat's stdin stays open
        Process holder = new ProcessBuilder("flock", "-x", f.toString(), "cat").start();
        holder.getOutputStream().write('\n');
        holder.getOutputStream().flush();
        assertEquals('\n', holder.getInputStream().read(), "flock(1) holds the lock");
        CountDownLatch got = new CountDownLatch(1);
        Thread t = lockOnAThread(f, got);
        assertFalse(got.await(300, TimeUnit.MILLISECONDS), "weft waits while another process holds the lock");
        holder.getOutputStream().close();
        assertTrue(got.await(10, TimeUnit.SECONDS), "weft gets the lock once the other process lets go");
        t.join();

        try (Flock held = Flock.exclusive(f)) {
            Process waiter = new ProcessBuilder("flock", "-x", "-w", "0.3", f.toString(), "true").start();
            assertEquals(1, waiter.waitFor(), "flock(1) times out while weft holds the lock");
        }
        assertEquals(0, new ProcessBuilder("flock", "-x", "-w", "5", f.toString(), "true").start().waitFor(),
                "and gets it once weft lets go");
    }
}
