package io.weft.core.iproute;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.util.ArrayList;
import java.util.List;

/**
 * An IPv4 or IPv6 route in the main table, reduced to what weft programs and compares. Both families go through
 * the same commands: iproute2 takes the family from the destination, and an IPv6 default is written {@code ::/0}.
 *
 * @param via    the gateway, or null for a directly connected route
 * @param onlink the gateway is reachable on {@code dev} without a covering route (the VXLAN case)
 */
public record RouteEntry(IpCidr dst, IpAddress via, String dev, boolean onlink) {

    public static RouteEntry direct(IpCidr dst, String dev) {
        return new RouteEntry(dst, null, dev, false);
    }

    public static RouteEntry via(IpCidr dst, IpAddress via, String dev) {
        return new RouteEntry(dst, via, dev, false);
    }

    public static RouteEntry onlink(IpCidr dst, IpAddress via, String dev) {
        return new RouteEntry(dst, via, dev, true);
    }

    public IpOp replace() {
        return IpOp.ip(spec("replace").toArray(String[]::new));
    }

    public IpOp add() {
        return IpOp.ip(spec("add").toArray(String[]::new));
    }

    public IpOp delete() {
        return IpOp.ip(spec("del").toArray(String[]::new));
    }

    private List<String> spec(String verb) {
        List<String> a = new ArrayList<>(List.of("route", verb, dst.prefix() == 0 && dst.bits() == 32 ? "default" : dst.toString()));
        if (via != null) {
            a.add("via");
            a.add(via.toString());
        }
        if (dev != null) {
            a.add("dev");
            a.add(dev);
        }
        if (onlink) a.add("onlink");
        return a;
    }

    @Override
    public String toString() {
        return String.join(" ", spec("").subList(2, spec("").size()));
    }
}
