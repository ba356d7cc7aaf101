package io.weft.agent.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's one metrics registry: its own counters and gauges, and the sources the agent wires in (the backend,
 * the debug API), rendered together in the Prometheus text format on /metrics.
 */
public final class Metrics {
    public final AtomicLong reconcileRounds = new AtomicLong();
    public final AtomicLong reconcileErrors = new AtomicLong();
    public final AtomicLong entriesAdded = new AtomicLong();
    public final AtomicLong entriesRemoved = new AtomicLong();
    public final AtomicLong deviceRestores = new AtomicLong();
    public final AtomicLong remoteLeases = new AtomicLong();
    public final AtomicLong leaseExpiryEpochSeconds = new AtomicLong();
    public final AtomicLong ready = new AtomicLong();
    private final List<MetricsSource> sources = new CopyOnWriteArrayList<>();

    public void add(MetricsSource source) {
        sources.add(source);
    }

    public void remove(MetricsSource source) {
        sources.remove(source);
    }

    public String render() {
        StringBuilder sb = new StringBuilder(2048);
        MetricsWriter w = new MetricsWriter(sb);
        w.counter("weft_reconcile_rounds_total", "Reconcile rounds run.", reconcileRounds.get());
        w.counter("weft_reconcile_errors_total", "Reconcile rounds that failed.", reconcileErrors.get());
        w.counter("weft_kernel_entries_added_total", "Routes, neighbours and FDB entries added or replaced.", entriesAdded.get());
        w.counter("weft_kernel_entries_removed_total", "Routes, neighbours and FDB entries removed.", entriesRemoved.get());
        w.counter("weft_device_restores_total", "Times the overlay device had to be recreated.", deviceRestores.get());
        w.gauge("weft_remote_leases", "Leases of other nodes currently known.", remoteLeases.get());
        w.gauge("weft_lease_expiry_timestamp_seconds", "When this node's lease expires unless renewed.", leaseExpiryEpochSeconds.get());
        w.gauge("weft_ready", "1 once routes are programmed and subnet.env is written.", ready.get());
        for (MetricsSource s : sources) s.writeMetrics(w);
        return sb.toString();
    }
}
