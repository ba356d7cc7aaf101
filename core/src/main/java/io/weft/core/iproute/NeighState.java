package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.util.List;

/**
 * One neighbour (ARP) entry as the kernel holds it now, with its state ({@code PERMANENT}, {@code REACHABLE},
 * {@code STALE}, {@code FAILED}, ...).
 *
 * @param mac null while the address is unresolved (INCOMPLETE, FAILED)
 */
public record NeighState(Ipv4Address ip, MacAddress mac, String dev, List<String> state) {

    public boolean permanent() {
        return state.contains("PERMANENT");
    }

    /** Whether frames to {@code ip} can be addressed now. */
    public boolean resolved() {
        return mac != null && !state.contains("FAILED") && !state.contains("INCOMPLETE");
    }

    @Override
    public String toString() {
        return ip + (mac != null ? " lladdr " + mac : "") + " dev " + dev + " " + String.join(",", state);
    }
}
