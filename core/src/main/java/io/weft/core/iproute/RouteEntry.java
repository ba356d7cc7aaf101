package io.weft.core.iproute;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * An IPv4 route in the main table, reduced to what weft programs and compares.
 *
 * @param via    the gateway, or null for a directly connected route
 * @param onlink the gateway is reachable on {@code dev} without a covering route (the VXLAN case)
 */
public record RouteEntry(Ipv4Cidr dst, Ipv4Address via, String dev, boolean onlink) {

    public static RouteEntry direct(Ipv4Cidr dst, String dev) {
        return new RouteEntry(dst, null, dev, false);
    }

    public static RouteEntry via(Ipv4Cidr dst, Ipv4Address via, String dev) {
        return new RouteEntry(dst, via, dev, false);
    }

    public static RouteEntry onlink(Ipv4Cidr dst, Ipv4Address via, String dev) {
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
        List<String> a = new ArrayList<>(List.of("route", verb, dst.prefix() == 0 ? "default" : dst.toString()));
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
