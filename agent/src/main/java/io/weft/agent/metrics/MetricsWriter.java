package io.weft.agent.metrics;

/**
 * Writes the Prometheus text exposition format (0.0.4): a family's HELP and TYPE lines, then its samples with labels.
 * Label values and help text are escaped as the format requires, so a device or peer name with a quote, a backslash
 * or a newline in it cannot break a scrape.
 */
public final class MetricsWriter {
    private final StringBuilder out;

    public MetricsWriter(StringBuilder out) {
        this.out = out;
    }

    /** Starts a counter family. */
    public MetricsWriter counter(String name, String help) {
        return family(name, "counter", help);
    }

    /** Starts a gauge family. */
    public MetricsWriter gauge(String name, String help) {
        return family(name, "gauge", help);
    }

    /** A counter family with one sample. */
    public MetricsWriter counter(String name, String help, long value, String... labels) {
        return counter(name, help).sample(name, value, labels);
    }

    /** A gauge family with one sample. */
    public MetricsWriter gauge(String name, String help, long value, String... labels) {
        return gauge(name, help).sample(name, value, labels);
    }

    /**
     * One sample. {@code labels} are name/value pairs; a pair whose value is null is left out, so an optional label
     * (a drop reason, a peer) needs no second call shape.
     */
    public MetricsWriter sample(String name, long value, String... labels) {
        if (labels.length % 2 != 0) throw new IllegalArgumentException("labels come in name/value pairs: " + name);
        out.append(name);
        boolean open = false;
        for (int i = 0; i < labels.length; i += 2) {
            if (labels[i + 1] == null) continue;
            out.append(open ? ',' : '{').append(labels[i]).append("=\"");
            escape(labels[i + 1], true);
            out.append('"');
            open = true;
        }
        if (open) out.append('}');
        out.append(' ').append(value).append('\n');
        return this;
    }

    private MetricsWriter family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ');
        escape(help, false);
        out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /**
     * Writes the families of several sources (each written by its own MetricsWriter) as one exposition: a family that
     * more than one source has (two devices' counters) keeps one HELP and TYPE, its samples together, as the format
     * requires; families keep the order in which they first appear.
     */
    public MetricsWriter merged(java.util.List<? extends CharSequence> parts) {
        java.util.Map<String, StringBuilder> families = new java.util.LinkedHashMap<>();
        for (CharSequence part : parts) {
            StringBuilder current = null;
            for (String line : part.toString().split("\n")) {
                if (line.startsWith("# HELP ")) {
                    int end = line.indexOf(' ', 7);
                    current = families.computeIfAbsent(line.substring(7, end < 0 ? line.length() : end), k -> new StringBuilder());
                    if (!current.isEmpty()) continue; // the family's header is written already
                } else if (line.isEmpty() || current == null || line.startsWith("# TYPE ") && current.indexOf("\n# TYPE ") >= 0) {
                    continue;
                }
                current.append(line).append('\n');
            }
        }
        families.values().forEach(out::append);
        return this;
    }

    private void escape(String s, boolean quotes) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '"' -> out.append(quotes ? "\\\"" : "\"");
                default -> out.append(c);
            }
        }
    }
}
