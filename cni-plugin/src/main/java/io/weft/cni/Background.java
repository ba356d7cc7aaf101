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
        switch (failure) {
            case null -> {
                return value;
            }
            case IOException e -> throw e;
            case UncheckedIOException e -> throw e.getCause();
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException(failure);
        }
    }
}
