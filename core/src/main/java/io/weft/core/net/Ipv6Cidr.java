package io.weft.core.net;

/**
 * An IPv6 network: an address whose host bits are zero and a prefix length. {@link #parse} refuses host bits,
 * {@link #parseLenient} masks them, as {@link Ipv4Cidr} does.
 */
public record Ipv6Cidr(Ipv6Address network, int prefix) implements IpCidr, Comparable<Ipv6Cidr> {

    public Ipv6Cidr {
        if (prefix < 0 || prefix > 128) throw new IllegalArgumentException("prefix length out of range: " + prefix);
        if ((network.high() & ~maskHigh(prefix)) != 0 || (network.low() & ~maskLow(prefix)) != 0) {
            throw new IllegalArgumentException(network + "/" + prefix + " has host bits set (network is "
                    + masked(network, prefix) + "/" + prefix + ")");
        }
    }

    public static Ipv6Cidr parse(String text) {
        String[] parts = split(text);
        return new Ipv6Cidr(Ipv6Address.parse(parts[0]), prefixOf(text, parts[1]));
    }

    public static Ipv6Cidr parseLenient(String text) {
        String[] parts = split(text);
        int prefix = prefixOf(text, parts[1]);
        return new Ipv6Cidr(masked(Ipv6Address.parse(parts[0]), prefix), prefix);
    }

    /** flannel's lease key form of an IPv6 subnet, "fd00:10:244:1::-64" (pkg/ip IP6Net.StringSep). */
    public static Ipv6Cidr parseKey(String key) {
        int dash = key.lastIndexOf('-');
        if (dash < 0) throw new IllegalArgumentException("not an IPv6 subnet key: \"" + key + "\"");
        return parse(key.substring(0, dash) + "/" + key.substring(dash + 1));
    }

    private static String[] split(String text) {
        if (text == null) throw new IllegalArgumentException("missing CIDR");
        String[] parts = text.trim().split("/", -1);
        if (parts.length != 2) throw new IllegalArgumentException("not an IPv6 CIDR (want addr/len): \"" + text + "\"");
        return parts;
    }

    private static int prefixOf(String text, String p) {
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new IllegalArgumentException("bad prefix length in \"" + text + "\"");
        }
        int prefix = Integer.parseInt(p);
        if (prefix > 128) throw new IllegalArgumentException("prefix length over 128 in \"" + text + "\"");
        return prefix;
    }

    static long maskHigh(int prefix) {
        return prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    }

    static long maskLow(int prefix) {
        return prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
    }

    private static Ipv6Address masked(Ipv6Address a, int prefix) {
        return new Ipv6Address(a.high() & maskHigh(prefix), a.low() & maskLow(prefix));
    }

    @Override
    public boolean contains(IpAddress a) {
        return a instanceof Ipv6Address v && (v.high() & maskHigh(prefix)) == network.high()
                && (v.low() & maskLow(prefix)) == network.low();
    }

    public boolean contains(Ipv6Cidr other) {
        return other.prefix >= prefix && contains(other.network);
    }

    public boolean overlaps(Ipv6Cidr other) {
        return contains(other.network) || other.contains(network);
    }

    /**
     * The block of the same size right after this one (flannel's IP6Net.Next), or null past the end of the address
     * space.
     */
    public Ipv6Cidr next() {
        if (prefix == 0) return null;
        long step = prefix > 64 ? 1L << (128 - prefix) : 0;
        long stepHigh = prefix <= 64 ? 1L << (64 - prefix) : 0;
        long lo = network.low() + step;
        long hi = network.high() + stepHigh + (Long.compareUnsigned(lo, network.low()) < 0 ? 1 : 0);
        if (Long.compareUnsigned(hi, network.high()) < 0 || (hi == network.high() && lo == network.low())) return null;
        return new Ipv6Cidr(new Ipv6Address(hi, lo), prefix);
    }

    /** The lease key flannel uses in etcd after the '&' of a dual-stack key, and weft in the lease directory. */
    public String toKey() {
        return network + "-" + prefix;
    }

    @Override
    public int compareTo(Ipv6Cidr o) {
        int c = network.compareTo(o.network);
        return c != 0 ? c : Integer.compare(prefix, o.prefix);
    }

    @Override
    public Ipv6Address firstHost() {
        return network.plus(1);
    }

    @Override
    public Ipv6Address last() {
        return new Ipv6Address(network.high() | ~maskHigh(prefix), network.low() | ~maskLow(prefix));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ipv6Cidr c && c.prefix == prefix && c.network.equals(network);
    }

    @Override
    public int hashCode() {
        return network.hashCode() * 31 + prefix;
    }

    @Override
    public String toString() {
        return network + "/" + prefix;
    }
}
