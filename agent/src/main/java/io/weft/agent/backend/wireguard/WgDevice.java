package io.weft.agent.backend.wireguard;

import io.weft.core.iproute.WgTool;
import java.util.List;

/**
 * The {@code flannel-wg} device behind the backend: the kernel's (or wireguard-go's, configured alike through
 * {@code wg}) or weft's own. The backend decides the peers; a device only holds them.
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

    /** Prometheus text for the device's peers (no keys). */
    void renderMetrics(StringBuilder sb);

    /** Releases the agent's resources; the kernel device and wireguard-go stay, weft's own TUN goes. */
    @Override
    void close();
}
