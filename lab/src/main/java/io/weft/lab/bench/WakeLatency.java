package io.weft.lab.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * How long this machine takes to wake a thread that has slept a while: the floor under the userspace datapath's
 * round trip, which wakes agent threads three times where the kernel's VXLAN path wakes none. One thread parks,
 * the other unparks it every {@code gap} milliseconds; the time from the unpark to the parked thread running is a
 * futex wake-up, as the event loop's epoll wake-up is. Neither thread is pinned: the scheduler places them as it
 * places the agents. Prints "p50 p90" in microseconds.
 */
public final class WakeLatency {
    private WakeLatency() {}

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        long gapMillis = args.length > 1 ? Long.parseLong(args[1]) : 20;
        long[] micros = measure(samples, gapMillis);
        System.out.printf(Locale.ROOT, "%d %d%n", micros[samples / 2], micros[samples * 9 / 10]);
    }

    /** Sorted wake-up latencies in microseconds. */
    static long[] measure(int samples, long gapMillis) throws InterruptedException {
        long[] out = new long[samples];
        // When the waker unparked the sleeper; 0 once the sleeper has taken the sample.
        AtomicLong sentAt = new AtomicLong();
        Thread sleeper = new Thread(() -> {
            for (int i = 0; i < samples; i++) {
                long sent;
                while ((sent = sentAt.getAndSet(0)) == 0) LockSupport.park();
                out[i] = (System.nanoTime() - sent) / 1000;
            }
        }, "wake-latency-sleeper");
        sleeper.start();
        for (int i = 0; i < samples; i++) {
            Thread.sleep(gapMillis);
            sentAt.set(System.nanoTime());
            LockSupport.unpark(sleeper);
            // the next sample starts only once this one was taken
            while (sentAt.get() != 0) Thread.onSpinWait();
        }
        sleeper.join();
        Arrays.sort(out);
        return out;
    }
}
