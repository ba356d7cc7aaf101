package io.weft.core.net;

import java.util.HexFormat;

/** A 48-bit Ethernet address. */
public record MacAddress(long value) {

    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);

    public MacAddress {
        if ((value & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("MAC wider than 48 bits");
    }

    public static MacAddress parse(String text) {
        if (text == null) throw new IllegalArgumentException("missing MAC address");
        String[] parts = text.trim().split(":", -1);
        if (parts.length != 6) throw new IllegalArgumentException("not a MAC address: \"" + text + "\"");
        long v = 0;
        for (String p : parts) {
            if (p.length() != 2 || !HexFormat.isHexDigit(p.charAt(0)) || !HexFormat.isHexDigit(p.charAt(1))) {
                throw new IllegalArgumentException("not a MAC address: \"" + text + "\"");
            }
            v = (v << 8) | Integer.parseInt(p, 16);
        }
        return new MacAddress(v);
    }

    public static MacAddress of(byte[] b, int offset) {
        long v = 0;
        for (int i = 0; i < 6; i++) v = (v << 8) | (b[offset + i] & 0xff);
        return new MacAddress(v);
    }

    /** A locally administered unicast address derived from a seed, stable for the same seed. */
    public static MacAddress localFromSeed(long seed) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        long v = (h & 0xffff_ffff_ffffL);
        v = (v & ~(0x01L << 40)) | (0x02L << 40); // clear multicast bit, set locally-administered bit
        return new MacAddress(v);
    }

    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) b[i] = (byte) (value >>> (40 - 8 * i));
        return b;
    }

    public boolean isMulticast() {
        return ((value >>> 40) & 1) != 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) sb.append(':');
            sb.append(HexFormat.of().toHexDigits((byte) (value >>> (40 - 8 * i))));
        }
        return sb.toString();
    }
}
