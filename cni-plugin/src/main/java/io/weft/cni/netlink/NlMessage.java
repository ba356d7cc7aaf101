package io.weft.cni.netlink;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.nio.charset.StandardCharsets;

/**
 * One rtnetlink request built in place in one byte array (host byte order, as netlink wants; attributes
 * 4-byte aligned): the header, the family's fixed part, then attributes, nested ones closed by {@link #end()}.
 * Reused for every request of a call, so a request allocates nothing.
 */
final class NlMessage {
    static final int HEADER = 16;

    final byte[] buf = new byte[2048];
    int len;
    private final int[] open = new int[8];
    private int depth;

    NlMessage begin(int type, int flags, int seq) {
        java.util.Arrays.fill(buf, 0, len, (byte) 0);
        len = HEADER;
        depth = 0;
        put16(4, type);
        put16(6, flags);
        put32(8, seq);
        return this;
    }

    /** struct ifinfomsg: family AF_UNSPEC, the device by index (0: by IFLA_IFNAME), flags to set within change. */
    NlMessage ifinfo(int index, int flags, int change) {
        len += 4; // family, pad, type
        put32(len, index);
        put32(len + 4, flags);
        put32(len + 8, change);
        len += 12;
        return this;
    }

    /** struct ifaddrmsg. */
    NlMessage ifaddr(int family, int prefix, int scope, int index) {
        buf[len] = (byte) family;
        buf[len + 1] = (byte) prefix;
        buf[len + 3] = (byte) scope;
        put32(len + 4, index);
        len += 8;
        return this;
    }

    /** struct rtmsg, no source prefix, no TOS, no flags. */
    NlMessage rtmsg(int family, int dstLen, int table, int protocol, int scope, int type) {
        buf[len] = (byte) family;
        buf[len + 1] = (byte) dstLen;
        buf[len + 4] = (byte) table;
        buf[len + 5] = (byte) protocol;
        buf[len + 6] = (byte) scope;
        buf[len + 7] = (byte) type;
        len += 12;
        return this;
    }

    NlMessage attr32(int type, int v) {
        attrHeader(type, 4);
        put32(len, v);
        len += 4;
        return this;
    }

    NlMessage attr8(int type, int v) {
        attrHeader(type, 1);
        buf[len] = (byte) v;
        len += 4;
        return this;
    }

    /** A NUL-terminated string, as the kernel wants names and kinds. */
    NlMessage attrString(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        attrHeader(type, b.length + 1);
        System.arraycopy(b, 0, buf, len, b.length);
        len += align(b.length + 1);
        return this;
    }

    NlMessage attrMac(int type, MacAddress mac) {
        attrHeader(type, 6);
        long v = mac.value();
        for (int i = 0; i < 6; i++) buf[len + i] = (byte) (v >>> (40 - 8 * i));
        len += 8;
        return this;
    }

    /** An IPv4 address, network byte order. */
    NlMessage attrIpv4(int type, Ipv4Address a) {
        attrHeader(type, 4);
        int v = a.value();
        buf[len] = (byte) (v >>> 24);
        buf[len + 1] = (byte) (v >>> 16);
        buf[len + 2] = (byte) (v >>> 8);
        buf[len + 3] = (byte) v;
        len += 4;
        return this;
    }

    /** Opens a nested attribute; its length is written by the matching {@link #end()}. */
    NlMessage nest(int type) {
        open[depth++] = len;
        put16(len + 2, type);
        len += 4;
        return this;
    }

    NlMessage end() {
        int at = open[--depth];
        put16(at, len - at);
        return this;
    }

    /** Writes the total length into the header; returns it. */
    int finish() {
        put32(0, len);
        return len;
    }

    private void attrHeader(int type, int payload) {
        put16(len, 4 + payload);
        put16(len + 2, type);
        len += 4;
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    private void put16(int at, int v) {
        buf[at] = (byte) v;
        buf[at + 1] = (byte) (v >>> 8);
    }

    private void put32(int at, int v) {
        buf[at] = (byte) v;
        buf[at + 1] = (byte) (v >>> 8);
        buf[at + 2] = (byte) (v >>> 16);
        buf[at + 3] = (byte) (v >>> 24);
    }

    static int get16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static int get32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
