package io.weft.agent.backend.wireguard;

/** Prometheus text (0.0.4) for the wireguard backend's devices; labels name peers by PublicIP, never by key. */
final class WgMetrics {
    private WgMetrics() {}

    static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static void line(StringBuilder sb, String name, String device, String peer, String reason, long v) {
        sb.append(name).append("{device=\"").append(device).append('"');
        if (peer != null) sb.append(",peer=\"").append(peer).append('"');
        if (reason != null) sb.append(",reason=\"").append(reason).append('"');
        sb.append("} ").append(v).append('\n');
    }

    static void info(StringBuilder sb, String device, String features) {
        header(sb, "weft_wireguard_info", "gauge", "What runs the WireGuard device and which speed features are on");
        sb.append("weft_wireguard_info{device=\"").append(device).append("\",features=\"").append(features.replace("\"", "'"))
                .append("\"} 1\n");
    }
}
