package io.weft.lab.overlay;

import static io.weft.lab.netns.NetnsLab.exec;

import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.iproute.Addr;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.jvm.ChildJvm;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.traffic.Transfer;
import io.weft.lab.userspace.UserspaceNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A flannel-shaped overlay built from network namespaces: nodes {@code 172.31.0.i} on one underlay bridge,
 * each with a {@code cni0} bridge {@code 10.244.i.1/24} and one pod {@code 10.244.i.5}, and a VTEP that is
 * either the kernel's VXLAN device (programmed by hand as flannel does) or weft's userspace datapath running
 * as a child JVM inside the node's namespace.
 *
 * <p>Two underlays, as users have them: veths with their default offloads (what Docker, kind and network
 * namespaces give: a kernel VXLAN node hands the veth partial checksums and whole TSO superframes, which reach a
 * userspace node as they are), or one that behaves like a real NIC (transmit checksumming off, GRO on receive:
 * complete checksums, datagram trains).
 *
 * <p>With {@link #ipv6} the same overlay carries IPv6 too: nodes {@code fd00:31::i} on the underlay, pods
 * {@code fd00:10:244:i::5/64} behind {@code cni0}'s {@code fd00:10:244:i::1}, and VTEPs {@code flannel-v6.1} over the
 * IPv6 underlay ({@link #kernelVtep6}, or the userspace node's second VTEP); {@link #ipv6Only} drops the IPv4 VTEP.
 */
public final class Overlay implements AutoCloseable {
    public static final int VNI = 1;
    public static final int PORT = 8472;
    public final NetnsLab lab;
    public final List<String> nodes;
    public final List<String> pods = new ArrayList<>();
    private final Map<Integer, Process> agents = new HashMap<>();
    private boolean v4 = true;
    private boolean v6;
    private final Path dir;

    public Overlay(String tag, int n) throws IOException {
        this(tag, n, false);
    }

    /**
     * @param nicLike the underlay behaves like a real NIC: transmit checksumming off on both ends of every underlay
     *                veth (a wire carries complete checksums only) and GRO on each node's eth0 (a veth hands a
     *                forwarded packet to GRO only when the sending end has no TSO, which needs transmit
     *                checksumming). False: veths as they come, no ethtool at all.
     */
    public Overlay(String tag, int n, boolean nicLike) throws IOException {
        lab = new NetnsLab(tag);
        dir = Files.createTempDirectory("weft-" + tag);
        try {
            nodes = lab.nodes(n);
            if (nicLike) lab.nicLike();
            for (int i = 1; i <= n; i++) {
                pods.add(lab.pod(node(i), "p" + i, "veth" + i, Ipv4Address.parse("10.244." + i + ".1"), 24, podIp(i), 0));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** The overlay MTU the VTEPs get: 1450 on the default 1500-byte underlay, see {@link #underlayMtu}. */
    private int overlayMtu = 1450;

    /**
     * Raises the underlay's MTU (jumbo frames) and the pods' side to what VXLAN leaves of it; call before the VTEPs.
     */
    public Overlay underlayMtu(int mtu) {
        overlayMtu = mtu - 50;
        for (int i = 1; i <= nodes.size(); i++) {
            exec(lab.underlay(), "ip", "link", "set", "p" + i, "mtu", Integer.toString(mtu));
            exec(node(i), "ip", "link", "set", "eth0", "mtu", Integer.toString(mtu));
            exec(node(i), "ip", "link", "set", "veth" + i, "mtu", Integer.toString(overlayMtu));
            exec(node(i), "ip", "link", "set", "cni0", "mtu", Integer.toString(overlayMtu));
            exec(pod(i), "ip", "link", "set", "eth0", "mtu", Integer.toString(overlayMtu));
        }
        exec(lab.underlay(), "ip", "link", "set", "br0", "mtu", Integer.toString(mtu));
        return this;
    }

    /**
     * Gives every node, bridge and pod an IPv6 address (no duplicate address detection, so they are usable at once)
     * and the pods a default route via cni0; IPv6 forwarding on. VTEPs made afterwards carry IPv6 too.
     */
    public Overlay ipv6() {
        for (int i = 1; i <= nodes.size(); i++) {
            lab.sysctl(node(i), "net.ipv6.conf.all.forwarding", "1");
            exec(node(i), "ip", "addr", "add", publicIpv6(i) + "/64", "dev", "eth0", "nodad");
            exec(node(i), "ip", "addr", "add", gateway6(i) + "/64", "dev", "cni0", "nodad");
            exec(pod(i), "ip", "addr", "add", podIp6(i) + "/64", "dev", "eth0", "nodad");
            exec(pod(i), "ip", "-6", "route", "add", "default", "via", gateway6(i).toString(), "dev", "eth0");
        }
        v6 = true;
        return this;
    }

    /** {@link #ipv6}, and userspace VTEPs made afterwards run flannel-v6.1 alone (an IPv6-only cluster). */
    public Overlay ipv6Only() {
        ipv6();
        v4 = false;
        return this;
    }

    public static Ipv6Address publicIpv6(int i) {
        return Ipv6Address.parse("fd00:31::" + i);
    }

    public static Ipv6Cidr subnet6(int i) {
        return Ipv6Cidr.parse("fd00:10:244:" + i + "::/64");
    }

    public static Ipv6Address gateway6(int i) {
        return Ipv6Address.parse("fd00:10:244:" + i + "::1");
    }

    public static Ipv6Address podIp6(int i) {
        return Ipv6Address.parse("fd00:10:244:" + i + "::5");
    }

    public static MacAddress mac6(int i) {
        return MacAddress.parse(String.format("0a:00:00:00:06:%02x", i));
    }

    /** The overlay MTU of flannel-v6.1: IPv6's header is 20 bytes longer, as the kernel's vxlan6 device leaves. */
    public int overlayMtu6() {
        return overlayMtu - 20;
    }

    /**
     * flannel-v6.1 as a kernel VXLAN device over the IPv6 underlay, made by hand as flannel's vxlan backend makes it
     * (pkg/backend/vxlan: the device with local = the node's IPv6 address, address {@code <subnet>/128}, and per peer an
     * onlink route, a permanent neighbour and an FDB entry to its PublicIPv6).
     */
    public void kernelVtep6(int i, int... peers) {
        kernelVtep(i, "flannel-v6." + VNI, overlayMtu6(), Overlay::publicIpv6, Overlay::subnet6, Overlay::mac6, peers);
    }

    /** A kernel VTEP of one family: the device, its /32 or /128 address, and per peer a route, neighbour and FDB entry. */
    private void kernelVtep(int i, String dev, int mtu, IntFunction<IpAddress> publicIp, IntFunction<IpCidr> subnet,
                            IntFunction<MacAddress> mac, int... peers) {
        IpAddress net = subnet.apply(i).network();
        IpBatch b = new IpBatch().add(Link.addVxlan(dev, VNI, PORT, publicIp.apply(i), "eth0", mac.apply(i), mtu))
                .add(Addr.add(dev, net, net.bits())).add(Link.up(dev));
        for (int j : peers) {
            b.add(RouteEntry.onlink(subnet.apply(j), subnet.apply(j).network(), dev).replace());
            b.add(new NeighEntry(subnet.apply(j).network(), mac.apply(j), dev).replace());
            b.add(new FdbEntry(mac.apply(j), dev, publicIp.apply(j)).replace());
        }
        b.apply(Netns.named(node(i)));
    }

    /** Pings pod j's IPv6 address from pod i, DF as IPv6 always is; true if all replies arrived. */
    public boolean ping6(int i, int j, int count, int size) {
        var r = NetnsLab.run("ip", "netns", "exec", pod(i), "ping", "-6", "-c", Integer.toString(count), "-i", "0.2",
                "-W", "2", "-s", Integer.toString(size), "-M", "do", podIp6(j).toString());
        return r.exitCode() == 0;
    }

    public String node(int i) {
        return nodes.get(i - 1);
    }

    public String pod(int i) {
        return pods.get(i - 1);
    }

    public static Ipv4Address podIp(int i) {
        return Ipv4Address.parse("10.244." + i + ".5");
    }

    public static Ipv4Address publicIp(int i) {
        return Ipv4Address.parse(NetnsLab.nodeIp(i));
    }

    public static Ipv4Cidr subnet(int i) {
        return Ipv4Cidr.parse("10.244." + i + ".0/24");
    }

    public static MacAddress mac(int i) {
        return MacAddress.parse(String.format("0a:00:00:00:00:%02x", i));
    }

    /** flannel.1 as a kernel VXLAN device, with routes, permanent neighbours and FDB entries for {@code peers}. */
    public void kernelVtep(int i, int... peers) {
        kernelVtep(i, "flannel." + VNI, overlayMtu, Overlay::publicIp, Overlay::subnet, Overlay::mac, peers);
    }

    /** Starts weft's userspace datapath in node {@code i} and waits until it says READY. */
    public Process userspaceVtep(int i, boolean offload, int... peers) throws IOException {
        return userspaceVtep(i, offload, List.of(), peers);
    }

    public Process userspaceVtep(int i, boolean offload, List<String> extra, int... peers) throws IOException {
        List<String> args = new ArrayList<>(List.of("--metrics-file", metricsFile(i).toString()));
        if (v4) args.addAll(List.of("--public-ip", publicIp(i).toString(), "--subnet", subnet(i).toString(), "--mac", mac(i).toString()));
        if (v6) {
            args.addAll(List.of("--public-ipv6", publicIpv6(i).toString(), "--subnet6", subnet6(i).toString(), "--mac6",
                    mac6(i).toString()));
        }
        if (!offload) args.add("--no-offload");
        args.addAll(List.of("--underlay-mtu", Integer.toString(overlayMtu + 50)));
        args.addAll(extra);
        for (int j : peers) {
            if (v4) args.addAll(List.of("--peer", subnet(j) + "," + publicIp(j) + "," + mac(j)));
            if (v6) args.addAll(List.of("--peer6", subnet6(j) + "," + publicIpv6(j) + "," + mac6(j)));
        }
        // a class-data archive per node, as the lab's agents have: a restarted VTEP starts warm
        List<String> cmd = ChildJvm.command(node(i), dir.resolve("vtep" + i + ".jsa"), List.of("--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=PARANOID", "-XX:+UseSerialGC", "-Xms16m", "-Xmx128m"),
                UserspaceNode.class.getName(), args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent" + i + ".log").toFile())).start();
        agents.put(i, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log(i)) && Files.readString(log(i)).contains("READY")) return p;
            if (!p.isAlive()) break;
            sleep(20);
        }
        throw new AssertionError("userspace datapath in node " + i + " did not start:\n" + Files.readString(log(i)));
    }

    public Path log(int i) {
        return dir.resolve("agent" + i + ".log");
    }

    public Path metricsFile(int i) {
        return dir.resolve("metrics" + i + ".txt");
    }

    /** Stops node i's userspace datapath with SIGTERM and waits for it to exit. */
    public void stopUserspace(int i) throws InterruptedException {
        Process p = agents.remove(i);
        if (p == null) return;
        // `ip netns exec` execs java, so the pid is the JVM's.
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    /** The userspace agent of node i, if one runs. */
    public Process agent(int i) {
        return agents.get(i);
    }

    public String metrics(int i) throws IOException {
        Path f = metricsFile(i);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Waits for the metrics file to be rewritten after now (200 ms period) and returns one counter. */
    public long counter(int i, String name, String peer, String reason) throws IOException {
        return counter(i, "flannel.1", name, peer, reason);
    }

    /** As {@link #counter(int, String, String, String)} for one VTEP's series. */
    public long counter(int i, String device, String name, String peer, String reason) throws IOException {
        long before = Files.exists(metricsFile(i)) ? Files.getLastModifiedTime(metricsFile(i)).toMillis() : 0;
        long deadline = System.currentTimeMillis() + 3000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(metricsFile(i)) && Files.getLastModifiedTime(metricsFile(i)).toMillis() > before + 1) break;
            sleep(50);
        }
        String sel = "device=\"" + device + "\",peer=\"" + peer + "\"" + (reason == null ? "" : ",reason=\"" + reason + "\"");
        Matcher m = Pattern.compile(Pattern.quote(name + "{" + sel + "} ") + "(\\d+)").matcher(metrics(i));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Runs TrafficTool in a namespace in the background; returns the process with its stdout readable. */
    public static Process tool(String ns, String... args) throws IOException {
        return Transfer.tool(ns, args);
    }

    /** See {@link ChildJvm#await}. */
    public static String await(Process p, String prefix, long timeoutSeconds) throws Exception {
        return ChildJvm.await(p, prefix, timeoutSeconds);
    }

    /** Pings from pod i to pod j's address; returns true if all replies arrived. */
    public boolean ping(int i, int j, int count, int size) {
        var r = NetnsLab.run("ip", "netns", "exec", pod(i), "ping", "-c", Integer.toString(count), "-i", "0.2",
                "-W", "2", "-s", Integer.toString(size), "-M", "do", podIp(j).toString());
        return r.exitCode() == 0;
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        for (Process p : agents.values()) p.destroyForcibly();
        agents.clear();
        lab.close();
        try (var s = Files.list(dir)) {
            s.forEach(f -> f.toFile().delete());
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // temp files only
        }
    }
}
