package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;

/**
 * The kernel's answer to {@code ip route get DST [from SRC] [iif DEV]}: where it sends a packet for {@code dst} that
 * arrives on {@code iif} (a forwarded one, as a pod's packet is) or that this host sends, from which source address.
 * Nothing is sent to find out.
 *
 * @param type    "unicast", "local", "unreachable", ...
 * @param gateway the next hop, or null when {@code dst} is on the link itself
 * @param dev     the device it leaves on (for a local destination, the loopback)
 * @param source  the source address the kernel prefers for it (null when the route has none)
 * @param error   what the kernel said when it has no route ("Network is unreachable"), else null
 */
public record RouteLookup(Ipv4Address dst, String type, Ipv4Address gateway, String dev, Ipv4Address source, String error) {

    public static RouteLookup failed(Ipv4Address dst, String error) {
        return new RouteLookup(dst, null, null, null, null, error);
    }

    public boolean found() {
        return error == null && "unicast".equals(type);
    }

    @Override
    public String toString() {
        if (error != null) return dst + ": " + error;
        return dst + (gateway != null ? " via " + gateway : "") + " dev " + dev + ("unicast".equals(type) ? "" : " (" + type + ")");
    }
}
