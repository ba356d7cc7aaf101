package io.weft.cni.netlink;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;

/**
 * An rtnetlink socket in one network namespace and the few changes a pod attachment needs, each sent as one
 * request and answered by the kernel's ack before the next: what iproute2 would do for the same {@code ip}
 * line, without a process. Errors name the equivalent {@code ip} command. The dry run (the build's AOT
 * training, which must not change the machine and may not be root) sends a read of {@code lo} in its own
 * namespace in place of every request.
 */
public final class Rtnl implements AutoCloseable {
    private static final int NLMSG_ERROR = 2;
    private static final int RTM_NEWLINK = 16;
    private static final int RTM_DELLINK = 17;
    private static final int RTM_GETLINK = 18;
    private static final int RTM_NEWADDR = 20;
    private static final int RTM_NEWROUTE = 24;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_ACK = 0x4;
    private static final int NLM_F_REPLACE = 0x100;
    private static final int NLM_F_EXCL = 0x200;
    private static final int NLM_F_CREATE = 0x400;
    private static final int NLM_F_CAPPED = 0x100;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;
    private static final int IFLA_ADDRESS = 1;
    private static final int IFLA_IFNAME = 3;
    private static final int IFLA_MTU = 4;
    private static final int IFLA_MASTER = 10;
    private static final int IFLA_LINKINFO = 18;
    private static final int IFLA_NET_NS_FD = 28;
    private static final int IFLA_INFO_KIND = 1;
    private static final int IFLA_INFO_DATA = 2;
    private static final int IFLA_INFO_SLAVE_KIND = 4;
    private static final int IFLA_INFO_SLAVE_DATA = 5;
    private static final int VETH_INFO_PEER = 1;
    private static final int IFLA_BRPORT_MODE = 4;
    private static final int IFA_ADDRESS = 1;
    private static final int IFA_LOCAL = 2;
    private static final int RTA_DST = 1;
    private static final int RTA_OIF = 4;
    private static final int RTA_GATEWAY = 5;
    private static final int AF_INET = 2;
    private static final int IFF_UP = 1;
    private static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_BOOT = 3;
    private static final int RT_SCOPE_UNIVERSE = 0;
    private static final int RTN_UNICAST = 1;

    private final int fd;
    private final String where;
    private final boolean dryRun;
    private final NlMessage m = new NlMessage();
    private final byte[] in = new byte[32768];
    private int seq;

    private Rtnl(int fd, String where, boolean dryRun) {
        this.fd = fd;
        this.where = where;
        this.dryRun = dryRun;
    }

    /** A socket in the namespace at {@code netnsPath}, or in this process's own when null. */
    public static Rtnl open(String netnsPath) {
        return open(netnsPath, false);
    }

    /** For the AOT training run: this namespace, and every request replaced by a read. */
    public static Rtnl dryRun() {
        return open(null, true);
    }

    private static Rtnl open(String netnsPath, boolean dryRun) {
        int fd = Native.routeSocket(netnsPath);
        String where = netnsPath == null ? "" : " in " + netnsPath;
        if (fd < 0) throw new NetlinkException("cannot open an rtnetlink socket" + where, -fd, null);
        return new Rtnl(fd, where, dryRun);
    }

    /** The interface's index, 0 if there is none of that name. */
    public int index(String name) {
        m.begin(RTM_GETLINK, NLM_F_REQUEST, ++seq).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, dryRun ? "lo" : name);
        int n = exchange("ip link show dev " + name, true, true);
        if (n < 0) return 0;
        return NlMessage.get32(in, NlMessage.HEADER + 4);
    }

    /** {@code ip link add NAME address MAC mtu MTU type bridge}; EEXIST when it is already there. */
    public void addBridge(String name, MacAddress mac, int mtu) {
        m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++seq).ifinfo(0, 0, 0)
                .attrString(IFLA_IFNAME, name).attrMac(IFLA_ADDRESS, mac).attr32(IFLA_MTU, mtu)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_KIND, "bridge").end();
        change("ip link add " + name + " address " + mac + " mtu " + mtu + " type bridge");
    }

    /**
     * A veth pair: this end {@code host}, up, a port of the bridge with index {@code master} (named
     * {@code masterName} in errors); the other made
     * directly inside the namespace open at {@code podNsFd} under its final name, down (the kernel cannot open a
     * veth end before its pair is joined: ENOTCONN), EEXIST if the pod already has an interface of that name.
     */
    public void addVeth(String host, MacAddress hostMac, int master, String masterName, String pod, MacAddress podMac, int mtu, int podNsFd) {
        m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++seq).ifinfo(0, IFF_UP, IFF_UP)
                .attrString(IFLA_IFNAME, host).attrMac(IFLA_ADDRESS, hostMac).attr32(IFLA_MTU, mtu).attr32(IFLA_MASTER, master)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_KIND, "veth").nest(IFLA_INFO_DATA).nest(VETH_INFO_PEER)
                .ifinfo(0, 0, 0).attrString(IFLA_IFNAME, pod).attrMac(IFLA_ADDRESS, podMac).attr32(IFLA_MTU, mtu)
                .attr32(IFLA_NET_NS_FD, podNsFd).end().end().end();
        change("ip link add " + host + " address " + hostMac + " mtu " + mtu + " master " + masterName + " up type veth peer name "
                + pod + " address " + podMac + " mtu " + mtu + " netns <pod>");
    }

    /** {@code ip link set dev PORT type bridge_slave hairpin on|off}. */
    public void hairpin(String port, boolean on) {
        m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ++seq).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, port)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_SLAVE_KIND, "bridge").nest(IFLA_INFO_SLAVE_DATA)
                .attr8(IFLA_BRPORT_MODE, on ? 1 : 0).end().end();
        change("ip link set dev " + port + " type bridge_slave hairpin " + (on ? "on" : "off"));
    }

    /** {@code ip link set dev NAME up}. */
    public void up(String name) {
        m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ++seq).ifinfo(0, IFF_UP, IFF_UP).attrString(IFLA_IFNAME, name);
        change("ip link set dev " + name + " up");
    }

    /** {@code ip addr replace A/P dev D} ({@code replace}) or {@code ip addr add} (EEXIST when present). */
    public void address(int index, String dev, Ipv4Address a, int prefix, boolean replace) {
        int flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
        m.begin(RTM_NEWADDR, flags, ++seq).ifaddr(AF_INET, prefix, RT_SCOPE_UNIVERSE, index)
                .attrIpv4(IFA_LOCAL, a).attrIpv4(IFA_ADDRESS, a);
        change("ip addr " + (replace ? "replace " : "add ") + a + "/" + prefix + " dev " + dev);
    }

    /** {@code ip route add DST via GW dev D}. */
    public void route(Ipv4Cidr dst, Ipv4Address gw, int oif, String dev) {
        m.begin(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ++seq)
                .rtmsg(AF_INET, dst.prefix(), RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST);
        if (dst.prefix() > 0) m.attrIpv4(RTA_DST, dst.network());
        m.attrIpv4(RTA_GATEWAY, gw).attr32(RTA_OIF, oif);
        change("ip route add " + (dst.prefix() == 0 ? "default" : dst.toString()) + " via " + gw + " dev " + dev);
    }

    /** {@code ip link del dev NAME} (a veth takes its peer along); false if there is no such interface. */
    public boolean deleteLink(String name) {
        m.begin(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ++seq).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, name);
        return exchange("ip link del dev " + name, true, false) >= 0;
    }

    private void change(String what) {
        exchange(what, false, false);
    }

    /**
     * Sends the request in {@code m} and waits for its answer: the answer's length, or -1 for ENODEV when
     * {@code noDeviceIsAnswer}; any other refusal throws. A dry run sends a read of lo in place of a change.
     */
    private int exchange(String what, boolean noDeviceIsAnswer, boolean read) {
        int mySeq = seq;
        if (dryRun && !read) {
            m.begin(RTM_GETLINK, NLM_F_REQUEST, mySeq).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, "lo");
        }
        int len = m.finish();
        int n = Native.send(fd, m.buf, len);
        if (n < 0) throw new NetlinkException(what + where, -n, null);
        while (true) {
            n = Native.recv(fd, in);
            if (n < 0) throw new NetlinkException(what + where, -n, null);
            for (int at = 0; at + NlMessage.HEADER <= n; ) {
                int mlen = NlMessage.get32(in, at);
                int type = NlMessage.get16(in, at + 4);
                int flags = NlMessage.get16(in, at + 6);
                int s = NlMessage.get32(in, at + 8);
                if (mlen < NlMessage.HEADER || at + mlen > n) break;
                if (s == mySeq) {
                    if (type != NLMSG_ERROR) {
                        if (at != 0) System.arraycopy(in, at, in, 0, mlen);
                        return mlen;
                    }
                    int err = -NlMessage.get32(in, at + NlMessage.HEADER);
                    if (err == 0) return mlen;
                    if (err == NetlinkException.ENODEV && noDeviceIsAnswer) return -1;
                    throw new NetlinkException(what + where, err, kernelMessage(at, mlen, flags));
                }
                at += NlMessage.align(mlen);
            }
        }
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
                return new String(in, p + 4, e - p - 4, java.nio.charset.StandardCharsets.UTF_8);
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
