package io.weft.cni;

/** WEFT_TRACE=1 prints how long each phase of a call took, to stderr (for tuning start-up). */
final class Trace {
    private static final boolean ON = System.getenv("WEFT_TRACE") != null;
    private static long last = System.nanoTime();

    private Trace() {}

    static void mark(String what) {
        if (!ON) return;
        long now = System.nanoTime();
        System.err.printf("weft: %-28s %6.1f ms%n", what, (now - last) / 1e6);
        last = now;
    }
}
