package io.weft.agent.subnet;

/**
 * How a store's watch thread wakes the agent's loop: {@link #signal()} from the watch, {@link #await} from the
 * loop, which returns at once when anything was signalled since its last return. Signals never get lost between
 * the loop reading the leases and waiting again; several coalesce into one wake-up.
 */
public final class ChangeSignal {
    private long changes; // guarded by this
    private long seen; // guarded by this

    public synchronized void signal() {
        changes++;
        notifyAll();
    }

    /** Waits until a signal newer than the last return, or {@code timeoutMillis}. */
    public synchronized void await(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (changes == seen) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) return;
            wait(left);
        }
        seen = changes;
    }
}
