package io.weft.core.net;

/** An IPv4 or IPv6 network, for code that handles both families the same way. */
public sealed interface IpCidr permits Ipv4Cidr, Ipv6Cidr {

    IpAddress network();

    int prefix();

    boolean contains(IpAddress a);

    /** The network's first host address: flannel's and the bridge plugin's gateway. */
    IpAddress firstHost();

    /** The network's last address (for IPv4 its broadcast address). */
    IpAddress last();

    default int bits() {
        return network().bits();
    }

    /** True when both are the same network (without the records' equals, an invokedynamic bootstrap in a cold JVM). */
    default boolean sameAs(IpCidr o) {
        return prefix() == o.prefix() && network().offsetFrom(o.network()) == 0;
    }

    /** The default route's destination of the family: 0.0.0.0/0 or ::/0. */
    static IpCidr any(int bits) {
        return bits == 32 ? new Ipv4Cidr(new Ipv4Address(0), 0) : new Ipv6Cidr(new Ipv6Address(0, 0), 0);
    }

    /** Host bits refused, as {@link Ipv4Cidr#parse}. */
    static IpCidr parse(String text) {
        if (text != null && text.indexOf(':') >= 0) return Ipv6Cidr.parse(text);
        return Ipv4Cidr.parse(text);
    }

    /** Host bits masked, as {@link Ipv4Cidr#parseLenient}. */
    static IpCidr parseLenient(String text) {
        if (text != null && text.indexOf(':') >= 0) return Ipv6Cidr.parseLenient(text);
        return Ipv4Cidr.parseLenient(text);
    }
}
