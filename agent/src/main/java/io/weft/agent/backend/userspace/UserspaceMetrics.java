package io.weft.agent.backend.userspace;

import io.weft.agent.metrics.MetricsWriter;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The userspace datapath's counters on /metrics: per peer and drop reason, and the datapath's own; one series per
 * VTEP ({@code device} label: flannel.<VNI>, flannel-v6.<VNI>), each metric's HELP and TYPE once.
 */
final class UserspaceMetrics {
    private UserspaceMetrics() {}

    static void write(MetricsWriter w, List<UserspaceVtep> vteps) {
        perPeer(w, vteps, "weft_userspace_rx_packets_total", "VXLAN packets received from a peer and written to the TAP",
                PeerCounters::rxPackets);
        perPeer(w, vteps, "weft_userspace_rx_bytes_total", "Inner frame bytes received from a peer", PeerCounters::rxBytes);
        perPeer(w, vteps, "weft_userspace_tx_packets_total", "VXLAN packets sent to a peer (after TSO segmentation)",
                PeerCounters::txPackets);
        perPeer(w, vteps, "weft_userspace_tx_bytes_total", "Inner frame bytes sent to a peer", PeerCounters::txBytes);
        w.counter("weft_userspace_drops_total", "Packets dropped by the userspace datapath, by peer and reason");
        for (UserspaceVtep t : vteps) {
            for (PeerCounters c : t.peers().allCounters()) {
                for (DropReason r : DropReason.values()) {
                    w.sample("weft_userspace_drops_total", c.drops(r), "device", t.device(), "peer", c.peer(), "reason", r.label());
                }
            }
        }
        w.gauge("weft_userspace_peers", "Peers in the userspace FDB");
        for (UserspaceVtep t : vteps) w.sample("weft_userspace_peers", t.peers().snapshot().peers().size(), "device", t.device());
        List<UserspaceVtep> running = vteps.stream().filter(t -> t.datapath() != null).toList();
        if (running.isEmpty()) return;
        perDatapath(w, running, true, "weft_userspace_rx_superframes_total",
                "TCP superframes written to the TAP after receive coalescing", d -> d.coalesceStats()[0]);
        perDatapath(w, running, true, "weft_userspace_rx_coalesced_segments_total",
                "Received TCP segments joined into superframes", d -> d.coalesceStats()[1]);
        perDatapath(w, running, true, "weft_userspace_rx_gro_trains_total",
                "Receives that returned a UDP_GRO train of several datagrams (the underlay merged them)", d -> d.groStats()[0]);
        perDatapath(w, running, true, "weft_userspace_rx_gro_train_datagrams_total", "Datagrams cut out of UDP_GRO trains",
                d -> d.groStats()[1]);
        perDatapath(w, running, true, "weft_userspace_rx_partial_checksums_total",
                "Inner TCP/UDP packets that came with a partial checksum (a kernel peer over a veth) and were finished",
                VxlanDatapath::partialChecksums);
        perDatapath(w, running, true, "weft_userspace_tx_backpressure_total",
                "Times a send socket backed up and the datapath stopped reading the TAP until it drained", VxlanDatapath::tapPauses);
        perDatapath(w, running, true, "weft_userspace_tap_reregistrations_total",
                "Times the TAP had dropped out of the event loop's epoll set and was registered again",
                VxlanDatapath::tapReRegistrations);
        perDatapath(w, running, false, "weft_userspace_tap_paused",
                "1 while the datapath is not reading the TAP (send sockets backed up)", d -> d.tapPaused() ? 1 : 0);
        w.gauge("weft_userspace_info", "Datapath features in use");
        for (UserspaceVtep t : running) {
            w.sample("weft_userspace_info", 1, "device", t.device(), "features", t.datapath().features());
        }
    }

    private static void perPeer(MetricsWriter w, List<UserspaceVtep> vteps, String name, String help,
                                ToLongFunction<PeerCounters> value) {
        w.counter(name, help);
        for (UserspaceVtep t : vteps) {
            for (PeerCounters c : t.peers().allCounters()) w.sample(name, value.applyAsLong(c), "device", t.device(), "peer", c.peer());
        }
    }

    private static void perDatapath(MetricsWriter w, List<UserspaceVtep> running, boolean counter, String name, String help,
                                    Function<VxlanDatapath, Number> value) {
        if (counter) w.counter(name, help);
        else w.gauge(name, help);
        for (UserspaceVtep t : running) w.sample(name, value.apply(t.datapath()).longValue(), "device", t.device());
    }
}
