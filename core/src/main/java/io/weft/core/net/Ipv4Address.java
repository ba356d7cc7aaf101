package io.weft.core.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/** An IPv4 address held as an unsigned 32-bit value, so that subnet math is plain arithmetic. */
public record Ipv4Address(int value) implements IpAddress, Comparable<Ipv4Address> {

    public static Ipv4Address parse(String text) {
        if (text == null) throw new IllegalArgumentException("missing IPv4 address");
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\"");
        int v = 0;
        for (String p : parts) {
            // ASCII digits only (Character.isDigit would let Arabic-Indic and other digits through), and no
            // leading zero: "010" is 8 to inet_aton and an error to Go (flannel), so neither reading is safe.
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')
                    || (p.length() > 1 && p.charAt(0) == '0')) {
                throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\"");
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\"");
            v = (v << 8) | octet;
        }
        return new Ipv4Address(v);
    }

    public static Ipv4Address of(InetAddress address) {
        if (!(address instanceof Inet4Address)) throw new IllegalArgumentException("not IPv4: " + address);
        byte[] b = address.getAddress();
        return new Ipv4Address(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
    }

    @Override
    public int bits() {
        return 32;
    }

    @Override
    public long offsetFrom(IpAddress base) {
        if (!(base instanceof Ipv4Address b)) return -1;
        long d = unsigned() - b.unsigned();
        return d < 0 ? -1 : d;
    }

    @Override
    public Ipv4Address plus(long n) {
        return new Ipv4Address((int) (unsigned() + n));
    }

    public long unsigned() {
        return Integer.toUnsignedLong(value);
    }

    @Override
    public byte[] toBytes() {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    @Override
    public int compareTo(Ipv4Address o) {
        return Integer.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }
}
