package io.weft.agent.http;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** The agent's counters and gauges, rendered in Prometheus text format; parts of the agent add their own sections. */
public final class Metrics {
    public final AtomicLong reconcileRounds = new AtomicLong();
    public final AtomicLong reconcileErrors = new AtomicLong();
    public final AtomicLong entriesAdded = new AtomicLong();
    public final AtomicLong entriesRemoved = new AtomicLong();
    public final AtomicLong deviceRestores = new AtomicLong();
    public final AtomicLong remoteLeases = new AtomicLong();
    public final AtomicLong leaseExpiryEpochSeconds = new AtomicLong();
    public final AtomicLong ready = new AtomicLong();
    private final List<Consumer<StringBuilder>> sections = new CopyOnWriteArrayList<>();

    public void addSection(Consumer<StringBuilder> section) {
        sections.add(section);
    }

    public String render() {
        StringBuilder sb = new StringBuilder(1024);
        counter(sb, "weft_reconcile_rounds_total", "Reconcile rounds run.", reconcileRounds.get());
        counter(sb, "weft_reconcile_errors_total", "Reconcile rounds that failed.", reconcileErrors.get());
        counter(sb, "weft_kernel_entries_added_total", "Routes, neighbours and FDB entries added or replaced.", entriesAdded.get());
        counter(sb, "weft_kernel_entries_removed_total", "Routes, neighbours and FDB entries removed.", entriesRemoved.get());
        counter(sb, "weft_device_restores_total", "Times the overlay device had to be recreated.", deviceRestores.get());
        gauge(sb, "weft_remote_leases", "Leases of other nodes currently known.", remoteLeases.get());
        gauge(sb, "weft_lease_expiry_timestamp_seconds", "When this node's lease expires unless renewed.", leaseExpiryEpochSeconds.get());
        gauge(sb, "weft_ready", "1 once routes are programmed and subnet.env is written.", ready.get());
        for (Consumer<StringBuilder> s : sections) s.accept(sb);
        return sb.toString();
    }

    public static void counter(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    public static void gauge(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }
}
