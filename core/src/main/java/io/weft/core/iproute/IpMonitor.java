package io.weft.core.iproute;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * What changes in a namespace's links, routes and neighbours (FDB entries included: the kernel reports them as
 * neighbours of the bridge family), as {@code ip -o monitor label link route neigh} prints it, one event per line:
 * a long-lived agent learns within milliseconds that someone deleted one of its entries, without reading the
 * kernel's tables again and again. The process is the caller's; {@link #close()} ends it, and so does the first
 * line it cannot write once its reader is gone.
 */
public final class IpMonitor implements AutoCloseable {

    /**
     * One line of the monitor.
     *
     * @param kind    "LINK", "ROUTE" or "NEIGH"
     * @param deleted whether the kernel reports the object's removal
     * @param text    the line after the label and "Deleted "
     */
    public record Event(String kind, boolean deleted, String text) {
        /** Parses {@code [ROUTE]Deleted 10.244.2.0/24 via ...}; null for a line without a label. */
        public static Event parse(String line) {
            if (!line.startsWith("[")) return null;
            int close = line.indexOf(']');
            if (close < 0) return null;
            String kind = line.substring(1, close);
            String rest = line.substring(close + 1);
            boolean deleted = rest.startsWith("Deleted ");
            return new Event(kind, deleted, deleted ? rest.substring("Deleted ".length()) : rest);
        }

        /** The device: a link's name ({@code 4: flannel.1: <...>}, {@code 3: veth0@veth1: ...}), else the word after "dev". */
        public String dev() {
            if (kind.equals("LINK")) {
                int a = text.indexOf(": ");
                if (a < 0) return null;
                int b = text.indexOf(':', a + 2);
                if (b < 0) return null;
                String name = text.substring(a + 2, b);
                int at = name.indexOf('@');
                return at < 0 ? name : name.substring(0, at);
            }
            String[] w = text.split("\\s+");
            for (int i = 0; i + 1 < w.length; i++) if (w[i].equals("dev")) return w[i + 1];
            return null;
        }

        /** A route's destination or a neighbour's address: the first word, after "local", "broadcast"... if present. */
        public String subject() {
            String[] w = text.strip().split("\\s+");
            if (w.length > 1 && List.of("local", "broadcast", "unicast", "multicast", "anycast").contains(w[0])) return w[1];
            return w.length > 0 ? w[0] : "";
        }

        /** A link's flags, e.g. "BROADCAST,MULTICAST,UP,LOWER_UP"; empty for other kinds. */
        public String flags() {
            int a = text.indexOf('<');
            int b = text.indexOf('>', a + 1);
            return kind.equals("LINK") && a >= 0 && b > a ? text.substring(a + 1, b) : "";
        }
    }

    private final Process process;
    private final Thread reader;

    private IpMonitor(Process process, Thread reader) {
        this.process = process;
        this.reader = reader;
    }

    /**
     * Starts the monitor in {@code ns}; {@code onEvent} runs on the monitor's own thread for every line, and
     * {@code onEnd} once when the monitor process ends (it was closed, or it died).
     */
    public static IpMonitor start(Netns ns, Consumer<Event> onEvent, Runnable onEnd) {
        List<String> cmd = ns.command(IpOp.IP, List.of("-o", "monitor", "label", "link", "route", "neigh"));
        Process p = IpRunner.start(cmd);
        Thread t = Thread.ofPlatform().daemon().name("weft-ip-monitor").unstarted(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    Event e = Event.parse(line);
                    if (e != null) onEvent.accept(e);
                }
            } catch (IOException e) {
                // closed
            } finally {
                p.destroy();
                onEnd.run();
            }
        });
        t.start();
        return new IpMonitor(p, t);
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.getInputStream().close();
        } catch (IOException e) {
            // ending anyway
        }
    }
}
