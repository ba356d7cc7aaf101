package io.weft.agent.backend.wireguard;

import io.weft.agent.metrics.MetricsWriter;
import io.weft.core.iproute.WgTool;
import java.util.List;

/**
 * A WireGuard device behind the backend ({@code flannel-wg}, or {@code flannel-wg-v6} in separate mode): the
 * kernel's (or wireguard-go's, configured alike through {@code wg}) or weft's own. The backend decides the peers; a
 * device only holds them.
 */
interface WgDevice extends AutoCloseable {
    /**
     * Creates or adopts the device (no key yet: a node where WireGuard cannot run gets no key file either); leaves it
     * down without an address.
     */
    void open();

    /** Gives the device our key (from {@code keyFile}, whose bytes are {@code privateKey}) and listen port. */
    void configure(byte[] privateKey, java.nio.file.Path keyFile);

    /** Whether the device is still there and working (else the backend opens it again). */
    boolean healthy();

    /** Makes the device's peers exactly {@code peers}; returns true if anything changed. */
    boolean setPeers(List<WgTool.PeerSpec> peers);

    /** What runs the device, for logs: "kernel", "wireguard-go", "userspace (...)". */
    String describe();

    /**
     * The peers the device holds now, as {@code wg show} reads them (the pre-shared key only as a digest): what
     * {@code weftd status} compares with the leases. Empty when the device does not answer.
     */
    List<WgTool.PeerState> peers();

    /** weft's own device's counters, one per peer (labelled with its PublicIP) and the strangers' last; else empty. */
    default List<io.weft.agent.backend.wireguard.tunnel.WgCounters> counters() {
        return List.of();
    }

    /** Prometheus text for the device's peers (no keys). */
    void writeMetrics(MetricsWriter w);

    /** What runs the device and which speed features are on, as one info sample. */
    static void writeInfo(MetricsWriter w, String device, String features) {
        w.gauge("weft_wireguard_info", "What runs the WireGuard device and which speed features are on", 1,
                "device", device, "features", features);
    }

    /** Releases the agent's resources; the kernel device and wireguard-go stay, weft's own TUN goes. */
    @Override
    void close();
}
