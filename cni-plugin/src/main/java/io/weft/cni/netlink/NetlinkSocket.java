package io.weft.cni.netlink;

import java.nio.charset.StandardCharsets;

/**
 * One netlink socket in one network namespace and the conversation on it: a request answered by one message or
 * an ack, a dump answered by many messages and NLMSG_DONE, and an nf_tables batch whose acks are all queued by the
 * time the send returns. Refusals carry errno and the kernel's extended-ack text.
 */
final class NetlinkSocket implements AutoCloseable {
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    private static final int NLM_F_CAPPED = 0x100;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;

    final String where;
    final byte[] in = new byte[65536];
    private final int fd;
    private int seq;
    private int inLen;
    private int inAt;
    private int dumpSeq;

    private NetlinkSocket(int fd, String where) {
        this.fd = fd;
        this.where = where;
    }

    /** A socket of {@code protocol} in the namespace at {@code netnsPath}, or in this process's own when null. */
    static NetlinkSocket open(String netnsPath, int protocol, String kind) {
        Native.ensureAvailability();
        int fd = Native.socket(netnsPath, protocol);
        String where = netnsPath == null ? "" : " in " + netnsPath;
        if (fd < 0) throw new NetlinkException("cannot open " + kind + " socket" + where, -fd, null);
        return new NetlinkSocket(fd, where);
    }

    int nextSeq() {
        return ++seq;
    }

    void send(NlMessage m, String what) {
        int len = m.finish();
        int n = Native.send(fd, m.buf, len);
        if (n < 0) throw new NetlinkException(what + where, -n, null);
    }

    private int receive(String what, int flags) {
        int n = Native.recv(fd, in, flags);
        if (n < 0) {
            if (-n == Native.EAGAIN && flags != 0) return 0;
            throw new NetlinkException(what + where, -n, null);
        }
        inLen = n;
        inAt = 0;
        return n;
    }

    /**
     * Sends the request in {@code m} and waits for the answer with its sequence number: the offset in {@link #in}
     * of the answering message (data, or the ack), or -1 when the kernel refused with {@code toleratedErrno};
     * any other refusal throws.
     */
    int request(NlMessage m, int mySeq, String what, int toleratedErrno) {
        send(m, what);
        while (true) {
            int at = next(what);
            if (NlMessage.get32(in, at + 8) != mySeq) continue;
            if (NlMessage.get16(in, at + 4) == NLMSG_ERROR) {
                int err = -NlMessage.get32(in, at + NlMessage.HEADER);
                if (err != 0 && err == toleratedErrno) return -1;
                if (err != 0) throw refusal(what, at, NlMessage.get32(in, at), err);
            }
            return at;
        }
    }

    /** The offset in {@link #in} of the next whole message, receiving when the last one is used up. */
    private int next(String what) {
        while (true) {
            if (inAt >= inLen) receive(what, 0);
            int at = inAt;
            int mlen = NlMessage.get32(in, at);
            if (mlen < NlMessage.HEADER || at + mlen > inLen) {
                inAt = inLen;
                continue;
            }
            inAt += NlMessage.align(mlen);
            return at;
        }
    }

    /** Sends the dump request in {@code m}; {@link #nextDumped} then walks its answers. */
    void dump(NlMessage m, int mySeq, String what) {
        dumpSeq = mySeq;
        inAt = inLen;
        send(m, what);
    }

    /**
     * The offset in {@link #in} of the dump's next message, or -1 at its end; the kernel's refusal of the whole
     * dump with {@code toleratedErrno} is an empty dump.
     */
    int nextDumped(String what, int toleratedErrno) {
        while (true) {
            int at = next(what);
            if (NlMessage.get32(in, at + 8) != dumpSeq) continue;
            int type = NlMessage.get16(in, at + 4);
            if (type == NLMSG_DONE) return -1;
            if (type == NLMSG_ERROR) {
                int err = -NlMessage.get32(in, at + NlMessage.HEADER);
                if (err == 0 || err == toleratedErrno) return -1;
                throw refusal(what, at, NlMessage.get32(in, at), err);
            }
            return at;
        }
    }

    /**
     * Sends a batch whose messages carry sequence numbers {@code firstSeq}..{@code lastSeq} and ask for acks, and
     * reads the answers the kernel queued while handling it: the first refusal throws, naming its message by
     * {@code whats[seq - firstSeq]}.
     */
    void batch(NlMessage m, int firstSeq, int lastSeq, String[] whats) {
        String all = whats.length == 0 ? "nftables batch" : whats[0];
        send(m, all);
        NetlinkException first = null;
        inAt = inLen;
        while (receive(all, Native.MSG_DONTWAIT) > 0) {
            for (int at = 0; at + NlMessage.HEADER <= inLen; ) {
                int mlen = NlMessage.get32(in, at);
                if (mlen < NlMessage.HEADER || at + mlen > inLen) break;
                int s = NlMessage.get32(in, at + 8);
                if (NlMessage.get16(in, at + 4) == NLMSG_ERROR && first == null) {
                    int err = -NlMessage.get32(in, at + NlMessage.HEADER);
                    String what = s >= firstSeq && s <= lastSeq && s - firstSeq < whats.length ? whats[s - firstSeq] : all;
                    if (err != 0) first = refusal(what, at, mlen, err);
                }
                at += NlMessage.align(mlen);
            }
            inAt = inLen;
        }
        if (first != null) throw first;
    }

    private NetlinkException refusal(String what, int at, int mlen, int err) {
        return new NetlinkException(what + where, err, kernelMessage(at, mlen, NlMessage.get16(in, at + 6)));
    }

    /** The extended ack's text, if the kernel sent one. */
    private String kernelMessage(int at, int mlen, int flags) {
        if ((flags & NLM_F_ACK_TLVS) == 0) return null;
        int p = at + NlMessage.HEADER + 4;
        p += (flags & NLM_F_CAPPED) != 0 ? NlMessage.HEADER : NlMessage.get32(in, p);
        int end = at + mlen;
        while (p + 4 <= end) {
            int alen = NlMessage.get16(in, p);
            int atype = NlMessage.get16(in, p + 2) & 0x3fff;
            if (alen < 4 || p + alen > end) break;
            if (atype == NLMSGERR_ATTR_MSG) {
                int e = p + 4;
                while (e < p + alen && in[e] != 0) e++;
                return new String(in, p + 4, e - p - 4, StandardCharsets.UTF_8);
            }
            p += NlMessage.align(alen);
        }
        return null;
    }

    @Override
    public void close() {
        Native.close(fd);
    }
}
