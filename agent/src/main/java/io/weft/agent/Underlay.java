package io.weft.agent;

import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.util.List;

/**
 * The node's external interface, chosen as flanneld chooses it: {@code --iface} as a name or an address,
 * else the device of the default route.
 *
 * @param network the interface's own network (used to tell which peers share our L2 segment)
 */
public record Underlay(String iface, Ipv4Address address, Ipv4Cidr network, int mtu) {

    public static Underlay detect(IpReader reader, String ifaceSpec) {
        String name = ifaceSpec;
        List<IfAddress> all = reader.addresses();
        if (name == null || name.isBlank()) {
            name = reader.routes().stream().filter(r -> r.dst().prefix() == 0).map(RouteEntry::dev).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "no default route to pick the external interface from; pass --iface NAME"));
        } else if (Character.isDigit(name.charAt(0)) && name.contains(".") && !name.contains("/")) {
            Ipv4Address want = Ipv4Address.parse(name);
            name = all.stream().filter(a -> a.address().equals(want)).map(IfAddress::dev).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--iface " + ifaceSpec + ": no interface has that address"));
        }
        String dev = name;
        LinkInfo link = reader.link(dev).orElseThrow(() -> new IllegalArgumentException("--iface " + dev + ": no such interface"));
        IfAddress addr = all.stream().filter(a -> a.dev().equals(dev)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--iface " + dev + ": interface has no IPv4 address"));
        return new Underlay(dev, addr.address(), Ipv4Cidr.parseLenient(addr.address() + "/" + addr.prefix()), link.mtu());
    }
}
