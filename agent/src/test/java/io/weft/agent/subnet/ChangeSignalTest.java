package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChangeSignalTest {
    @Test
    void aSignalBeforeTheWaitIsNotLostAndSeveralWakeOnce() throws Exception {
        ChangeSignal s = new ChangeSignal();
        s.signal();
        s.signal();
        long t0 = System.nanoTime();
        s.await(5_000);
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "returned at once for the earlier signals");
        t0 = System.nanoTime();
        s.await(300);
        assertTrue(System.nanoTime() - t0 >= 250_000_000L, "both were taken by the first wait: the second times out");
    }

    @Test
    void aSignalFromAnotherThreadWakesTheWaiter() throws Exception {
        ChangeSignal s = new ChangeSignal();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            s.signal();
        });
        t.start();
        long t0 = System.nanoTime();
        s.await(10_000);
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "woken, not timed out");
        t.join();
    }
}
