package io.weft.cni;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One piece of work on its own platform thread (no virtual-thread scheduler to start in a JVM that lives for
 * one call), joined with its exception rethrown as it was.
 */
final class Background<T> {
    interface Work<T> {
        T run() throws IOException;
    }

    private final Thread thread;
    private T value;
    private Throwable failure;

    private Background(Work<T> work) {
        thread = new Thread(() -> {
            try {
                value = work.run();
            } catch (Throwable t) {
                failure = t;
            }
        }, "weft-background");
        thread.setDaemon(true);
    }

    static <T> Background<T> start(Work<T> work) {
        Background<T> b = new Background<>(work);
        b.thread.start();
        return b;
    }

    T join() throws IOException {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable f = failure;
        if (f == null) return value;
        if (f instanceof IOException e) throw e;
        if (f instanceof UncheckedIOException e) throw e.getCause();
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        throw new IllegalStateException(f);
    }
}
