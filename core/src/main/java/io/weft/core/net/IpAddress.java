package io.weft.core.net;

/**
 * An IPv4 or IPv6 address, for code that handles both families the same way (the CNI plugin's IPAM, its netlink
 * requests, a pod's routes): the address's bytes in network order, its width, and offsets within a range.
 */
public sealed interface IpAddress permits Ipv4Address, Ipv6Address {

    /** 32 or 128. */
    int bits();

    /** Network byte order, 4 or 16 bytes. */
    byte[] toBytes();

    /** As the JDK's {@link java.net.InetAddress} (for sockets). */
    default java.net.InetAddress toInetAddress() {
        try {
            return java.net.InetAddress.getByAddress(toBytes());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    /** The address {@code n} further on, wrapping within the family. */
    IpAddress plus(long n);

    /**
     * How far this address lies after {@code base} of the same family: 0 for the same address, -1 when it lies
     * before {@code base}, is of the other family, or is 2^63 or more addresses further (an IPv6 range's
     * addresses past that are never counted).
     */
    long offsetFrom(IpAddress base);

    /** The literal's family decides: a ':' is IPv6. */
    static IpAddress parse(String text) {
        if (text != null && text.indexOf(':') >= 0) return Ipv6Address.parse(text);
        return Ipv4Address.parse(text);
    }

    /** From 4 or 16 bytes in network order. */
    static IpAddress of(byte[] b, int offset, int length) {
        if (length == 4) {
            return new Ipv4Address((b[offset] & 0xff) << 24 | (b[offset + 1] & 0xff) << 16 | (b[offset + 2] & 0xff) << 8
                    | (b[offset + 3] & 0xff));
        }
        if (length == 16) return Ipv6Address.of(b, offset);
        throw new IllegalArgumentException("an IP address is 4 or 16 bytes, not " + length);
    }
}
