package io.weft.core.iproute;

import io.weft.core.net.Ipv4Cidr;

/** A route of type blackhole in the main table: packets to {@code dst} are dropped unless a longer route matches. */
public record BlackholeRoute(Ipv4Cidr dst) {
    /** Adds it; fails (EEXIST) where a route to the same prefix with the same metric exists, e.g. a bridge's. */
    public IpOp add() {
        return IpOp.ip("route", "add", "blackhole", dst.toString());
    }
}
