package io.weft.agent.backend.userspace;

import io.weft.agent.metrics.MetricsWriter;

/** The userspace datapath's counters on /metrics: per peer and drop reason, and the datapath's own. */
final class UserspaceMetrics {
    private UserspaceMetrics() {}

    static void write(MetricsWriter w, String device, PeerTable peers, VxlanDatapath dp) {
        var all = peers.allCounters();
        w.counter("weft_userspace_rx_packets_total", "VXLAN packets received from a peer and written to the TAP");
        for (PeerCounters c : all) w.sample("weft_userspace_rx_packets_total", c.rxPackets(), "device", device, "peer", c.peer());
        w.counter("weft_userspace_rx_bytes_total", "Inner frame bytes received from a peer");
        for (PeerCounters c : all) w.sample("weft_userspace_rx_bytes_total", c.rxBytes(), "device", device, "peer", c.peer());
        w.counter("weft_userspace_tx_packets_total", "VXLAN packets sent to a peer (after TSO segmentation)");
        for (PeerCounters c : all) w.sample("weft_userspace_tx_packets_total", c.txPackets(), "device", device, "peer", c.peer());
        w.counter("weft_userspace_tx_bytes_total", "Inner frame bytes sent to a peer");
        for (PeerCounters c : all) w.sample("weft_userspace_tx_bytes_total", c.txBytes(), "device", device, "peer", c.peer());
        w.counter("weft_userspace_drops_total", "Packets dropped by the userspace datapath, by peer and reason");
        for (PeerCounters c : all) {
            for (DropReason r : DropReason.values()) {
                w.sample("weft_userspace_drops_total", c.drops(r), "device", device, "peer", c.peer(), "reason", r.label());
            }
        }
        w.gauge("weft_userspace_peers", "Peers in the userspace FDB", peers.snapshot().peers().size(), "device", device);
        if (dp == null) return;
        long[] co = dp.coalesceStats();
        w.counter("weft_userspace_rx_superframes_total", "TCP superframes written to the TAP after receive coalescing",
                co[0], "device", device);
        w.counter("weft_userspace_rx_coalesced_segments_total", "Received TCP segments joined into superframes",
                co[1], "device", device);
        long[] gro = dp.groStats();
        w.counter("weft_userspace_rx_gro_trains_total",
                "Receives that returned a UDP_GRO train of several datagrams (the underlay merged them)", gro[0], "device", device);
        w.counter("weft_userspace_rx_gro_train_datagrams_total", "Datagrams cut out of UDP_GRO trains", gro[1], "device", device);
        w.counter("weft_userspace_rx_partial_checksums_total",
                "Inner TCP/UDP packets that came with a partial checksum (a kernel peer over a veth) and were finished",
                dp.partialChecksums(), "device", device);
        w.counter("weft_userspace_tx_backpressure_total",
                "Times a send socket backed up and the datapath stopped reading the TAP until it drained", dp.tapPauses(),
                "device", device);
        w.counter("weft_userspace_tap_reregistrations_total",
                "Times the TAP had dropped out of the event loop's epoll set and was registered again", dp.tapReRegistrations(),
                "device", device);
        w.gauge("weft_userspace_tap_paused", "1 while the datapath is not reading the TAP (send sockets backed up)",
                dp.tapPaused() ? 1 : 0, "device", device);
        w.gauge("weft_userspace_info", "Datapath features in use", 1, "device", device, "features", dp.features());
    }
}
