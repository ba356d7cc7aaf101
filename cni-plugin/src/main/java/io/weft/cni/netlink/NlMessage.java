package io.weft.cni.netlink;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;
import java.nio.charset.StandardCharsets;

/**
 * Netlink requests built in place in one byte array: a header, the family's fixed part, then attributes (4-byte
 * aligned, host byte order as netlink wants, or network order where nf_tables wants it), nested ones closed by
 * {@link #end()}. {@link #append} starts another message behind the current one, for nf_tables batches. Reused
 * for every request of a call, so a request allocates nothing; also the attribute reader for answers.
 */
final class NlMessage {
    static final int HEADER = 16;
    private static final int NLA_F_NESTED = 0x8000;

    byte[] buf = new byte[2048];
    int len;
    private int start;
    private final int[] open = new int[8];
    private int depth;

    NlMessage begin(int type, int flags, int seq) {
        java.util.Arrays.fill(buf, 0, len, (byte) 0);
        len = 0;
        return header(type, flags, seq);
    }

    /** Closes the current message and starts the next one behind it (a batch goes to the kernel in one send). */
    NlMessage append(int type, int flags, int seq) {
        finishCurrent();
        return header(type, flags, seq);
    }

    private NlMessage header(int type, int flags, int seq) {
        start = len;
        depth = 0;
        ensure(HEADER);
        len += HEADER;
        put16(start + 4, type);
        put16(start + 6, flags);
        put32(start + 8, seq);
        return this;
    }

    /** struct ifinfomsg: family AF_UNSPEC, the device by index (0: by IFLA_IFNAME), flags to set within change. */
    NlMessage ifinfo(int index, int flags, int change) {
        ensure(16);
        len += 4; // family, pad, type
        put32(len, index);
        put32(len + 4, flags);
        put32(len + 8, change);
        len += 12;
        return this;
    }

    /** struct ifaddrmsg. */
    NlMessage ifaddr(int family, int prefix, int flags, int scope, int index) {
        ensure(8);
        buf[len] = (byte) family;
        buf[len + 1] = (byte) prefix;
        buf[len + 2] = (byte) flags;
        buf[len + 3] = (byte) scope;
        put32(len + 4, index);
        len += 8;
        return this;
    }

    /** struct rtmsg, no source prefix, no TOS, no flags. */
    NlMessage rtmsg(int family, int dstLen, int table, int protocol, int scope, int type) {
        ensure(12);
        buf[len] = (byte) family;
        buf[len + 1] = (byte) dstLen;
        buf[len + 4] = (byte) table;
        buf[len + 5] = (byte) protocol;
        buf[len + 6] = (byte) scope;
        buf[len + 7] = (byte) type;
        len += 12;
        return this;
    }

    /** struct nfgenmsg: the nf_tables family, version 0, the resource id in network order. */
    NlMessage nfgen(int family, int resId) {
        ensure(4);
        buf[len] = (byte) family;
        buf[len + 2] = (byte) (resId >>> 8);
        buf[len + 3] = (byte) resId;
        len += 4;
        return this;
    }

    NlMessage attr32(int type, int v) {
        attrHeader(type, 4);
        put32(len, v);
        len += 4;
        return this;
    }

    /** A 32-bit value in network byte order (nf_tables). */
    NlMessage attrBe32(int type, int v) {
        attrHeader(type, 4);
        buf[len] = (byte) (v >>> 24);
        buf[len + 1] = (byte) (v >>> 16);
        buf[len + 2] = (byte) (v >>> 8);
        buf[len + 3] = (byte) v;
        len += 4;
        return this;
    }

    /** A 64-bit value in network byte order (nf_tables rule handles). */
    NlMessage attrBe64(int type, long v) {
        attrHeader(type, 8);
        for (int i = 0; i < 8; i++) buf[len + i] = (byte) (v >>> (56 - 8 * i));
        len += 8;
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

    NlMessage attrBytes(int type, byte[] b) {
        attrHeader(type, b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += align(b.length);
        return this;
    }

    NlMessage attrMac(int type, MacAddress mac) {
        attrHeader(type, 6);
        long v = mac.value();
        for (int i = 0; i < 6; i++) buf[len + i] = (byte) (v >>> (40 - 8 * i));
        len += 8;
        return this;
    }

    /** An IPv4 or IPv6 address, network byte order. */
    NlMessage attrIp(int type, IpAddress a) {
        return attrBytes(type, a.toBytes());
    }

    /** Opens a nested attribute; its length is written by the matching {@link #end()}. */
    NlMessage nest(int type) {
        ensure(4);
        open[depth++] = len;
        put16(len + 2, type);
        len += 4;
        return this;
    }

    /** A nested attribute marked as such (NLA_F_NESTED), as nf_tables' own tools send them. */
    NlMessage nestFlagged(int type) {
        return nest(type | NLA_F_NESTED);
    }

    NlMessage end() {
        int at = open[--depth];
        put16(at, len - at);
        return this;
    }

    private void finishCurrent() {
        put32(start, len - start);
    }

    /** Writes the current message's length into its header; returns the length of everything built. */
    int finish() {
        finishCurrent();
        return len;
    }

    private void attrHeader(int type, int payload) {
        ensure(4 + align(payload));
        put16(len, 4 + payload);
        put16(len + 2, type);
        len += 4;
    }

    private void ensure(int more) {
        if (len + more > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
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

    static long getBe64(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (b[at + i] & 0xff);
        return v;
    }

    /**
     * The attributes between {@code from} and {@code end}, as nla_parse files them: {@code at[type]} is the offset
     * of the payload of the last attribute of that type, 0 where there is none (a payload never starts at 0).
     */
    static int[] attrs(byte[] b, int from, int end, int[] at) {
        java.util.Arrays.fill(at, 0);
        for (int p = from; p + 4 <= end; ) {
            int alen = get16(b, p);
            int type = get16(b, p + 2) & 0x3fff;
            if (alen < 4 || p + alen > end) break;
            if (type < at.length) at[type] = p + 4;
            p += align(alen);
        }
        return at;
    }

    /** The payload length of the attribute whose payload starts at {@code payload}. */
    static int attrLen(byte[] b, int payload) {
        return get16(b, payload - 4) - 4;
    }

    /** A NUL-terminated string attribute's text. */
    static String string(byte[] b, int payload) {
        int end = payload;
        int max = payload + attrLen(b, payload);
        while (end < max && b[end] != 0) end++;
        return new String(b, payload, end - payload, StandardCharsets.UTF_8);
    }
}
