package io.weft.agent;

import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per event on stderr: time, level, component, message; stack traces only at debug. */
final class LogSetup {
    private LogSetup() {}

    static void init(boolean verbose) {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(verbose ? Level.FINE : Level.INFO);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
                String component = logger.substring(logger.lastIndexOf('.') + 1);
                StringBuilder sb = new StringBuilder(128);
                sb.append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                        .append(String.format("%-5s", r.getLevel() == Level.WARNING ? "WARN" : r.getLevel().getName()))
                        .append(' ').append(component).append(": ").append(formatMessage(r)).append('\n');
                if (verbose && r.getThrown() != null) {
                    var sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(h);
        root.setLevel(verbose ? Level.FINE : Level.INFO);
        Logger.getLogger("io.netty").setLevel(Level.INFO);
    }
}
