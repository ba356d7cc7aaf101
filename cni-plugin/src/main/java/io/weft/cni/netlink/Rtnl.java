package io.weft.cni.netlink;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * An rtnetlink socket in one network namespace: the few changes a pod attachment needs, each sent as one request
 * and answered by the kernel's ack before the next (what iproute2 would do for the same {@code ip} line, without a
 * process; errors name that line), and the reads CHECK compares a result with (a link by name, dumps of
 * addresses and routes). The dry run (the build's AOT training, which must not change the machine and may not be
 * root) sends a read of {@code lo} in its own namespace in place of every change.
 */
public final class Rtnl implements AutoCloseable {
    private static final int RTM_NEWLINK = 16;
    private static final int RTM_DELLINK = 17;
    private static final int RTM_GETLINK = 18;
    private static final int RTM_NEWADDR = 20;
    private static final int RTM_GETADDR = 22;
    private static final int RTM_NEWROUTE = 24;
    private static final int RTM_GETROUTE = 26;
    private static final int NLM_F_REQUEST = NetlinkSocket.NLM_F_REQUEST;
    private static final int NLM_F_ACK = NetlinkSocket.NLM_F_ACK;
    private static final int NLM_F_REPLACE = 0x100;
    private static final int NLM_F_EXCL = 0x200;
    private static final int NLM_F_CREATE = 0x400;
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
    private static final int IFA_F_NODAD = 0x02;
    private static final int RTA_DST = 1;
    private static final int RTA_OIF = 4;
    private static final int RTA_GATEWAY = 5;
    private static final int RTA_TABLE = 15;
    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int IFF_UP = 1;
    private static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_BOOT = 3;
    private static final int RT_SCOPE_UNIVERSE = 0;
    private static final int RTN_UNICAST = 1;

    /** What CHECK needs of a link: its index, whether it is up, its master's index (0: none). */
    public record Link(int index, boolean up, int master) {}

    /** An address on an interface. */
    public record Addr(IpAddress address, int prefix) {}

    /** A route of the main table; {@code gateway} null for a route without one. */
    public record Route(IpCidr dst, IpAddress gateway, int oif) {}

    private final NetlinkSocket s;
    private final boolean dryRun;
    private final NlMessage m = new NlMessage();
    private final int[] at = new int[64];
    private int current;

    private Rtnl(NetlinkSocket s, boolean dryRun) {
        this.s = s;
        this.dryRun = dryRun;
    }

    /** A socket in the namespace at {@code netnsPath}, or in this process's own when null. */
    public static Rtnl open(String netnsPath) {
        return new Rtnl(NetlinkSocket.open(netnsPath, Native.NETLINK_ROUTE, "an rtnetlink"), false);
    }

    /** For the AOT training run: this namespace, and every change replaced by a read. */
    public static Rtnl dryRun() {
        return new Rtnl(NetlinkSocket.open(null, Native.NETLINK_ROUTE, "an rtnetlink"), true);
    }

    /** The interface's index, 0 if there is none of that name. */
    public int index(String name) {
        Link l = link(name);
        return l == null ? 0 : l.index();
    }

    /** {@code ip link show dev NAME}: the link, or null if there is none of that name. */
    public Link link(String name) {
        int seq = s.nextSeq();
        m.begin(RTM_GETLINK, NLM_F_REQUEST, seq).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, dryRun ? "lo" : name);
        int msg = s.request(m, seq, "ip link show dev " + name, NetlinkException.ENODEV);
        if (msg < 0) return null;
        byte[] in = s.in;
        int body = msg + NlMessage.HEADER;
        NlMessage.attrs(in, body + 16, msg + NlMessage.get32(in, msg), at);
        int master = at[IFLA_MASTER] == 0 ? 0 : NlMessage.get32(in, at[IFLA_MASTER]);
        return new Link(NlMessage.get32(in, body + 4), (NlMessage.get32(in, body + 8) & IFF_UP) != 0, master);
    }

    /** {@code ip addr show dev INDEX}: both families' addresses. */
    public List<Addr> addresses(int index) {
        int seq = s.nextSeq();
        m.begin(RTM_GETADDR, NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, seq).ifaddr(AF_UNSPEC, 0, 0, 0, 0);
        String what = "ip addr show";
        s.dump(m, seq, what);
        List<Addr> out = new ArrayList<>();
        byte[] in = s.in;
        for (int msg; (msg = s.nextDumped(what, 0)) >= 0; ) {
            int body = msg + NlMessage.HEADER;
            if (NlMessage.get32(in, body + 4) != index) continue;
            NlMessage.attrs(in, body + 8, msg + NlMessage.get32(in, msg), at);
            int a = at[IFA_LOCAL] != 0 ? at[IFA_LOCAL] : at[IFA_ADDRESS];
            if (a == 0) continue;
            out.add(new Addr(IpAddress.of(in, a, NlMessage.attrLen(in, a)), in[body + 1] & 0xff));
        }
        return out;
    }

    /** {@code ip route show table main}, both families. */
    public List<Route> routes() {
        int seq = s.nextSeq();
        m.begin(RTM_GETROUTE, NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, seq).rtmsg(AF_UNSPEC, 0, 0, 0, 0, 0);
        String what = "ip route show";
        s.dump(m, seq, what);
        List<Route> out = new ArrayList<>();
        byte[] in = s.in;
        for (int msg; (msg = s.nextDumped(what, 0)) >= 0; ) {
            int body = msg + NlMessage.HEADER;
            int family = in[body] & 0xff;
            if (family != AF_INET && family != AF_INET6) continue;
            NlMessage.attrs(in, body + 12, msg + NlMessage.get32(in, msg), at);
            int table = at[RTA_TABLE] != 0 ? NlMessage.get32(in, at[RTA_TABLE]) : in[body + 4] & 0xff;
            if (table != RT_TABLE_MAIN) continue;
            int dstLen = in[body + 1] & 0xff;
            IpAddress dst = at[RTA_DST] != 0 ? IpAddress.of(in, at[RTA_DST], NlMessage.attrLen(in, at[RTA_DST]))
                    : IpCidr.any(family == AF_INET ? 32 : 128).network();
            IpAddress gw = at[RTA_GATEWAY] == 0 ? null : IpAddress.of(in, at[RTA_GATEWAY], NlMessage.attrLen(in, at[RTA_GATEWAY]));
            int oif = at[RTA_OIF] == 0 ? 0 : NlMessage.get32(in, at[RTA_OIF]);
            out.add(new Route(IpCidr.parseLenient(dst + "/" + dstLen), gw, oif));
        }
        return out;
    }

    /** {@code ip link add NAME address MAC mtu MTU type bridge}; EEXIST when it is already there. */
    public void addBridge(String name, MacAddress mac, int mtu) {
        begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).ifinfo(0, 0, 0)
                .attrString(IFLA_IFNAME, name).attrMac(IFLA_ADDRESS, mac).attr32(IFLA_MTU, mtu)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_KIND, "bridge").end();
        change("ip link add " + name + " address " + mac + " mtu " + mtu + " type bridge");
    }

    /**
     * A veth pair: this end {@code host}, up, a port of the bridge with index {@code master} (named
     * {@code masterName} in errors); the other made directly inside the namespace open at {@code podNsFd} under its
     * final name, down (the kernel cannot open a veth end before its pair is joined: ENOTCONN), EEXIST if the pod
     * already has an interface of that name.
     */
    public void addVeth(String host, MacAddress hostMac, int master, String masterName, String pod, MacAddress podMac, int mtu, int podNsFd) {
        begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).ifinfo(0, IFF_UP, IFF_UP)
                .attrString(IFLA_IFNAME, host).attrMac(IFLA_ADDRESS, hostMac).attr32(IFLA_MTU, mtu).attr32(IFLA_MASTER, master)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_KIND, "veth").nest(IFLA_INFO_DATA).nest(VETH_INFO_PEER)
                .ifinfo(0, 0, 0).attrString(IFLA_IFNAME, pod).attrMac(IFLA_ADDRESS, podMac).attr32(IFLA_MTU, mtu)
                .attr32(IFLA_NET_NS_FD, podNsFd).end().end().end();
        change("ip link add " + host + " address " + hostMac + " mtu " + mtu + " master " + masterName + " up type veth peer name "
                + pod + " address " + podMac + " mtu " + mtu + " netns <pod>");
    }

    /** {@code ip link set dev PORT type bridge_slave hairpin on|off}. */
    public void hairpin(String port, boolean on) {
        begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, port)
                .nest(IFLA_LINKINFO).attrString(IFLA_INFO_SLAVE_KIND, "bridge").nest(IFLA_INFO_SLAVE_DATA)
                .attr8(IFLA_BRPORT_MODE, on ? 1 : 0).end().end();
        change("ip link set dev " + port + " type bridge_slave hairpin " + (on ? "on" : "off"));
    }

    /** {@code ip link set dev NAME up}. */
    public void up(String name) {
        begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(0, IFF_UP, IFF_UP).attrString(IFLA_IFNAME, name);
        change("ip link set dev " + name + " up");
    }

    /**
     * {@code ip addr replace A/P dev D} ({@code replace}) or {@code ip addr add} (EEXIST when present). An IPv6
     * address is added {@code nodad}: IPAM under its lock already made it unique, and duplicate address detection
     * would leave it "tentative", unusable as a source or to answer neighbour solicitations, for the first
     * second or more of the pod's life (on the bridge, until a port has carrier), which is when a pod first talks.
     */
    public void address(int index, String dev, IpAddress a, int prefix, boolean replace) {
        boolean v6 = a.bits() == 128;
        int flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
        begin(RTM_NEWADDR, flags).ifaddr(v6 ? AF_INET6 : AF_INET, prefix, v6 ? IFA_F_NODAD : 0, RT_SCOPE_UNIVERSE, index)
                .attrIp(IFA_LOCAL, a).attrIp(IFA_ADDRESS, a);
        change("ip addr " + (replace ? "replace " : "add ") + a + "/" + prefix + " dev " + dev + (v6 ? " nodad" : ""));
    }

    /** {@code ip route add DST via GW dev D}. */
    public void route(IpCidr dst, IpAddress gw, int oif, String dev) {
        begin(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
                .rtmsg(dst.bits() == 128 ? AF_INET6 : AF_INET, dst.prefix(), RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST);
        if (dst.prefix() > 0) m.attrIp(RTA_DST, dst.network());
        m.attrIp(RTA_GATEWAY, gw).attr32(RTA_OIF, oif);
        change("ip route add " + (dst.prefix() == 0 ? "default" : dst.toString()) + " via " + gw + " dev " + dev);
    }

    /** {@code ip link del dev NAME} (a veth takes its peer along); false if there is no such interface. */
    public boolean deleteLink(String name) {
        begin(dryRun ? RTM_GETLINK : RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, dryRun ? "lo" : name);
        return s.request(m, current, "ip link del dev " + name, NetlinkException.ENODEV) >= 0;
    }

    private NlMessage begin(int type, int flags) {
        current = s.nextSeq();
        return m.begin(type, flags, current);
    }

    /** Sends the change in {@code m} and waits for its ack; a dry run sends a read of lo instead. */
    private void change(String what) {
        if (dryRun) m.begin(RTM_GETLINK, NLM_F_REQUEST, current).ifinfo(0, 0, 0).attrString(IFLA_IFNAME, "lo");
        s.request(m, current, what, 0);
    }

    @Override
    public void close() {
        s.close();
    }
}
