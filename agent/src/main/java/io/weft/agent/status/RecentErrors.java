package io.weft.agent.status;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Keeps the last warnings and errors the agent logged, with their time, for {@code weftd status}: the operator sees
 * what went wrong without the log. Only the message's first line is kept (log lines never carry secrets; stack
 * traces stay in the log).
 */
public final class RecentErrors extends Handler {
    private final int capacity;
    private final Deque<NodeStatus.LogLine> lines = new ArrayDeque<>();

    public RecentErrors(int capacity) {
        this.capacity = capacity;
        setLevel(Level.WARNING);
    }

    @Override
    public void publish(LogRecord r) {
        if (r == null || r.getLevel().intValue() < Level.WARNING.intValue()) return;
        String msg = r.getMessage() == null ? "" : r.getMessage();
        int nl = msg.indexOf('\n');
        if (nl >= 0) msg = msg.substring(0, nl);
        NodeStatus.LogLine line = new NodeStatus.LogLine(Instant.ofEpochMilli(r.getMillis()).toString(), r.getLevel().getName(), msg);
        synchronized (lines) {
            if (lines.size() == capacity) lines.removeFirst();
            lines.addLast(line);
        }
    }

    /** Oldest first. */
    public List<NodeStatus.LogLine> lines() {
        synchronized (lines) {
            return List.copyOf(new ArrayList<>(lines));
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
