package io.weft.cni;

/**
 * WEFT_TRACE=1 prints how long each phase of a call took, to stderr, once the call is done (collected as it
 * goes without formatting, so tracing barely changes what it measures).
 */
final class Trace {
    private static final boolean ON = System.getenv("WEFT_TRACE") != null;
    private static final StringBuilder LOG = new StringBuilder();
    private static long last = System.nanoTime();

    private Trace() {}

    static synchronized void mark(String what) {
        if (!ON) return;
        long now = System.nanoTime();
        LOG.append("weft: ").append(what).append(' ').append((now - last) / 1000).append(" us\n");
        last = now;
    }

    static synchronized void flush() {
        if (ON) System.err.print(LOG);
    }
}
