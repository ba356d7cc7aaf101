package io.weft.cni.skel;

/**
 * WEFT_TRACE=1 prints how long each phase of a call took, to stderr, once the call is done (collected as it
 * goes without formatting, so tracing barely changes what it measures): per mark the time since the previous
 * mark, the time since the first one, and the thread when it is not main.
 */
public final class Trace {
    private static final boolean ON = System.getenv("WEFT_TRACE") != null;
    private static final StringBuilder LOG = new StringBuilder();
    private static final long FIRST = System.nanoTime();
    private static long last = FIRST;

    private Trace() {}

    public static synchronized void mark(String what) {
        if (!ON) return;
        long now = System.nanoTime();
        LOG.append("weft: ").append(what).append(' ').append((now - last) / 1000).append(" us (at ")
                .append((now - FIRST) / 1000).append(" us");
        String t = Thread.currentThread().getName();
        if (!t.equals("main")) LOG.append(", ").append(t);
        LOG.append(")\n");
        last = now;
    }

    public static synchronized void flush() {
        if (ON) System.err.print(LOG);
    }
}
