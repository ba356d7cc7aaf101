package io.weft.agent.backend.userspace;

/** Renders the userspace datapath's counters in the Prometheus text exposition format (0.0.4). */
public final class Metrics {
    private Metrics() {}

    public static String render(String device, PeerTable peers, VxlanDatapath dp) {
        StringBuilder sb = new StringBuilder(1024);
        render(sb, device, peers, dp);
        return sb.toString();
    }

    public static void render(StringBuilder sb, String device, PeerTable peers, VxlanDatapath dp) {
        var all = peers.allCounters();
        header(sb, "weft_userspace_rx_packets_total", "VXLAN packets received from a peer and written to the TAP");
        for (PeerCounters c : all) line(sb, "weft_userspace_rx_packets_total", device, c.peer(), null, c.rxPackets());
        header(sb, "weft_userspace_rx_bytes_total", "Inner frame bytes received from a peer");
        for (PeerCounters c : all) line(sb, "weft_userspace_rx_bytes_total", device, c.peer(), null, c.rxBytes());
        header(sb, "weft_userspace_tx_packets_total", "VXLAN packets sent to a peer (after TSO segmentation)");
        for (PeerCounters c : all) line(sb, "weft_userspace_tx_packets_total", device, c.peer(), null, c.txPackets());
        header(sb, "weft_userspace_tx_bytes_total", "Inner frame bytes sent to a peer");
        for (PeerCounters c : all) line(sb, "weft_userspace_tx_bytes_total", device, c.peer(), null, c.txBytes());
        header(sb, "weft_userspace_drops_total", "Packets dropped by the userspace datapath, by peer and reason");
        for (PeerCounters c : all) {
            for (DropReason r : DropReason.values()) {
                line(sb, "weft_userspace_drops_total", device, c.peer(), r.label(), c.drops(r));
            }
        }
        sb.append("# HELP weft_userspace_peers Peers in the userspace FDB\n# TYPE weft_userspace_peers gauge\n");
        sb.append("weft_userspace_peers{device=\"").append(device).append("\"} ").append(peers.snapshot().peers().size())
                .append('\n');
        if (dp != null) {
            long[] co = dp.coalesceStats();
            counter(sb, "weft_userspace_rx_superframes_total", "TCP superframes written to the TAP after receive coalescing",
                    device, co[0]);
            counter(sb, "weft_userspace_rx_coalesced_segments_total", "Received TCP segments joined into superframes",
                    device, co[1]);
            long[] gro = dp.groStats();
            counter(sb, "weft_userspace_rx_gro_trains_total",
                    "Receives that returned a UDP_GRO train of several datagrams (the underlay merged them)", device, gro[0]);
            counter(sb, "weft_userspace_rx_gro_train_datagrams_total", "Datagrams cut out of UDP_GRO trains", device, gro[1]);
            counter(sb, "weft_userspace_rx_partial_checksums_total",
                    "Inner TCP/UDP packets that came with a partial checksum (a kernel peer over a veth) and were finished",
                    device, dp.partialChecksums());
            counter(sb, "weft_userspace_tx_backpressure_total",
                    "Times a send socket backed up and the datapath stopped reading the TAP until it drained", device, dp.tapPauses());
            counter(sb, "weft_userspace_tap_reregistrations_total",
                    "Times the TAP had dropped out of the event loop's epoll set and was registered again", device,
                    dp.tapReRegistrations());
            sb.append("# HELP weft_userspace_tap_paused 1 while the datapath is not reading the TAP (send sockets backed up)\n")
                    .append("# TYPE weft_userspace_tap_paused gauge\n");
            deviceLine(sb, "weft_userspace_tap_paused", device, dp.tapPaused() ? 1 : 0);
            sb.append("# HELP weft_userspace_info Datapath features in use\n# TYPE weft_userspace_info gauge\n");
            sb.append("weft_userspace_info{device=\"").append(device).append("\",features=\"")
                    .append(dp.features().replace("\"", "'")).append("\"} 1\n");
        }
    }

    /** A counter with one value for the device: its HELP and TYPE lines and the sample. */
    private static void counter(StringBuilder sb, String name, String help, String device, long v) {
        header(sb, name, help);
        deviceLine(sb, name, device, v);
    }

    private static void deviceLine(StringBuilder sb, String name, String device, long v) {
        sb.append(name).append("{device=\"").append(device).append("\"} ").append(v).append('\n');
    }

    private static void header(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
    }

    private static void line(StringBuilder sb, String name, String device, String peer, String reason, long v) {
        sb.append(name).append("{device=\"").append(device).append("\",peer=\"").append(peer).append('"');
        if (reason != null) sb.append(",reason=\"").append(reason).append('"');
        sb.append("} ").append(v).append('\n');
    }
}
