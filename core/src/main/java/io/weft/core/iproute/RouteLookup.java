package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;

/**
 * What {@code ip route get <address>} answers: the device the kernel would send from, and the source address it
 * would use (null when the route has none).
 */
public record RouteLookup(String dev, Ipv4Address source) {}
