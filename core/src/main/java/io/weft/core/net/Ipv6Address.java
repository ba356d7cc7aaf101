package io.weft.core.net;

/**
 * An IPv6 address held as two unsigned 64-bit halves, so that subnet math is plain arithmetic. {@link #toString}
 * is the canonical text of RFC 5952 (lower case, no leading zeros, the first longest run of two or more zero
 * groups as "::"), which is what Go's net.IP prints: the reference host-local plugin names its allocation files
 * that way, so an address written in any other spelling would be a second file for the same address.
 */
public record Ipv6Address(long high, long low) implements IpAddress, Comparable<Ipv6Address> {

    public static Ipv6Address parse(String text) {
        if (text == null) throw new IllegalArgumentException("missing IPv6 address");
        String s = text.trim();
        int ellipsis = s.indexOf("::");
        if (ellipsis >= 0 && s.indexOf("::", ellipsis + 1) >= 0) throw bad(text);
        int[] head = groups(ellipsis < 0 ? s : s.substring(0, ellipsis), text, ellipsis < 0);
        int[] tail = ellipsis < 0 ? new int[0] : groups(s.substring(ellipsis + 2), text, true);
        int n = head.length + tail.length;
        if (ellipsis < 0 ? n != 8 : n > 7) throw bad(text);
        int[] g = new int[8];
        System.arraycopy(head, 0, g, 0, head.length);
        System.arraycopy(tail, 0, g, 8 - tail.length, tail.length);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) hi = hi << 16 | g[i];
        for (int i = 4; i < 8; i++) lo = lo << 16 | g[i];
        return new Ipv6Address(hi, lo);
    }

    /** The 16-bit groups of one side of "::"; a dotted IPv4 tail (::ffff:10.0.0.1) counts as two. */
    private static int[] groups(String part, String text, boolean mayEndInIpv4) {
        if (part.isEmpty()) return new int[0];
        String[] words = part.split(":", -1);
        boolean v4 = mayEndInIpv4 && words[words.length - 1].indexOf('.') >= 0;
        int[] out = new int[words.length + (v4 ? 1 : 0)];
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (v4 && i == words.length - 1) {
                int v = Ipv4Address.parse(w).value();
                out[i] = v >>> 16;
                out[i + 1] = v & 0xffff;
                break;
            }
            if (w.isEmpty() || w.length() > 4) throw bad(text);
            int x = 0;
            for (int k = 0; k < w.length(); k++) {
                int d = Character.digit(w.charAt(k), 16);
                if (d < 0 || w.charAt(k) > 'f') throw bad(text); // ASCII hex only
                x = x << 4 | d;
            }
            out[i] = x;
        }
        return out;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("not an IPv6 address: \"" + text + "\"");
    }

    /** From 16 bytes in network order at {@code offset}. */
    public static Ipv6Address of(byte[] b, int offset) {
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) hi = hi << 8 | (b[offset + i] & 0xff);
        for (int i = 8; i < 16; i++) lo = lo << 8 | (b[offset + i] & 0xff);
        return new Ipv6Address(hi, lo);
    }

    @Override
    public int bits() {
        return 128;
    }

    @Override
    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    @Override
    public Ipv6Address plus(long n) {
        long lo = low + n;
        long hi = high + (n < 0 ? -1 : 0) + (Long.compareUnsigned(lo, low) < 0 ? 1 : 0);
        return new Ipv6Address(hi, lo);
    }

    @Override
    public long offsetFrom(IpAddress base) {
        if (!(base instanceof Ipv6Address b)) return -1;
        long lo = low - b.low;
        long hi = high - b.high - (Long.compareUnsigned(low, b.low) < 0 ? 1 : 0);
        return hi != 0 || lo < 0 ? -1 : lo;
    }

    @Override
    public int compareTo(Ipv6Address o) {
        int c = Long.compareUnsigned(high, o.high);
        return c != 0 ? c : Long.compareUnsigned(low, o.low);
    }

    // equals and hashCode by hand: a record's generated ones bootstrap an invokedynamic call site on first use,
    // milliseconds of a CNI call's one-shot JVM
    @Override
    public boolean equals(Object o) {
        return o instanceof Ipv6Address a && a.high == high && a.low == low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high) * 31 + Long.hashCode(low);
    }

    private int group(int i) {
        return (int) ((i < 4 ? high >>> (48 - 16 * i) : low >>> (48 - 16 * (i - 4))) & 0xffff);
    }

    @Override
    public String toString() {
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (group(i) != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && group(j) == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) bestStart = -1; // "::" never stands for a single zero group
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(group(i)));
        }
        return sb.toString();
    }
}
