package io.weft.agent.metrics;

/** Something with counters to show on /metrics: a backend, the debug API. The agent registers it; it never registers itself. */
@FunctionalInterface
public interface MetricsSource {
    void writeMetrics(MetricsWriter w);
}
