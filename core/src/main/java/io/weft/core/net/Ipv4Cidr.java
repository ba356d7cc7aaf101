package io.weft.core.net;

/**
 * An IPv4 network: an address whose host bits are zero and a prefix length.
 * {@link #parse} refuses host bits so that a typo such as 10.244.1.5/24 is caught where it is written;
 * {@link #parseLenient} masks them, for places (kernel output) where an interface address is expected.
 */
public record Ipv4Cidr(Ipv4Address network, int prefix) implements IpCidr, Comparable<Ipv4Cidr> {

    public Ipv4Cidr {
        if (prefix < 0 || prefix > 32) throw new IllegalArgumentException("prefix length out of range: " + prefix);
        if ((network.value() & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(network + "/" + prefix + " has host bits set (network is "
                    + new Ipv4Address(network.value() & mask(prefix)) + "/" + prefix + ")");
        }
    }

    public static Ipv4Cidr parse(String text) {
        String[] parts = split(text);
        return new Ipv4Cidr(Ipv4Address.parse(parts[0]), prefixOf(text, parts[1]));
    }

    public static Ipv4Cidr parseLenient(String text) {
        String[] parts = split(text);
        int prefix = prefixOf(text, parts[1]);
        return new Ipv4Cidr(new Ipv4Address(Ipv4Address.parse(parts[0]).value() & mask(prefix)), prefix);
    }

    /** flannel's lease key form, "10.244.1.0-24". */
    public static Ipv4Cidr parseKey(String key) {
        int dash = key.lastIndexOf('-');
        if (dash < 0) throw new IllegalArgumentException("not a subnet key: \"" + key + "\"");
        return parse(key.substring(0, dash) + "/" + key.substring(dash + 1));
    }

    private static String[] split(String text) {
        if (text == null) throw new IllegalArgumentException("missing CIDR");
        String[] parts = text.trim().split("/", -1);
        if (parts.length != 2) throw new IllegalArgumentException("not a CIDR (want a.b.c.d/len): \"" + text + "\"");
        return parts;
    }

    private static int prefixOf(String text, String p) {
        if (p.isEmpty() || p.length() > 2 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new IllegalArgumentException("bad prefix length in \"" + text + "\"");
        }
        int prefix = Integer.parseInt(p);
        if (prefix > 32) throw new IllegalArgumentException("prefix length over 32 in \"" + text + "\"");
        return prefix;
    }

    public static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    public long size() {
        return 1L << (32 - prefix);
    }

    @Override
    public Ipv4Address last() {
        return network.plus(size() - 1);
    }

    /** The first usable host address: the gateway on a bridge, FLANNEL_SUBNET's address. */
    @Override
    public Ipv4Address firstHost() {
        return prefix >= 31 ? network : network.plus(1);
    }

    public boolean contains(Ipv4Address a) {
        return (a.value() & mask(prefix)) == network.value();
    }

    @Override
    public boolean contains(IpAddress a) {
        return a instanceof Ipv4Address v && contains(v);
    }

    public boolean contains(Ipv4Cidr other) {
        return other.prefix >= prefix && contains(other.network);
    }

    public boolean overlaps(Ipv4Cidr other) {
        return contains(other.network) || other.contains(network);
    }

    /** The lease key flannel uses in etcd and weft uses as a file name. */
    public String toKey() {
        return network + "-" + prefix;
    }

    @Override
    public int compareTo(Ipv4Cidr o) {
        int c = network.compareTo(o.network);
        return c != 0 ? c : Integer.compare(prefix, o.prefix);
    }

    @Override
    public String toString() {
        return network + "/" + prefix;
    }
}
