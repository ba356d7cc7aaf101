package io.weft.lab.userspace;

import io.weft.agent.backend.DesiredState;
import io.weft.agent.backend.userspace.UserspaceVxlanBackend;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv6Cidr;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The userspace backend on its own, without a subnet manager: for the netns tests and the benchmark, which
 * run it inside a node's namespace ({@code ip netns exec <ns> java ... UserspaceNode ...}) because a JVM
 * cannot move its threads between namespaces. It programs what weftd's reconciler would (device address,
 * routes, permanent neighbours) from peers given on the command line, then runs until SIGTERM.
 *
 * <pre>
 * UserspaceNode --public-ip 172.31.0.2 --subnet 10.244.2.0/24 --mac 0a:..:02 [--vni 1] [--port 8472]
 *               [--underlay-mtu 1500] [--no-offload] [--no-gso] [--no-udp-gro] [--metrics-file F] [--http-port P]
 *               [--debug-socket PATH]
 *               --peer 10.244.1.0/24,172.31.0.1,0a:..:01 ...
 *               [--public-ipv6 fd00:31::2 --subnet6 fd00:10:244:2::/64 --mac6 0a:..:62
 *                --peer6 fd00:10:244:1::/64,fd00:31::1,0a:..:61 ...]
 * </pre>
 * With the IPv6 options a second VTEP, {@code flannel-v6.<VNI>}, runs over the IPv6 underlay; without
 * {@code --public-ip} it runs alone (an IPv6-only node).
 * Prints {@code READY} on stdout once packets flow.
 */
public final class UserspaceNode {
    private UserspaceNode() {}

    public static void main(String[] args) throws Exception {
        // as weftd (Main): Netty's Flight Recorder support costs start-up time a restart spends without traffic
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
        Ipv4Address publicIp = null;
        Ipv4Cidr subnet = null;
        MacAddress mac = null;
        Ipv6Address publicIpv6 = null;
        Ipv6Cidr subnet6 = null;
        MacAddress mac6 = null;
        int vni = 1;
        int port = BackendConf.DEFAULT_PORT;
        int underlayMtu = 1500;
        boolean offload = true;
        boolean gso = true;
        Path metricsFile = null;
        int httpPort = 0;
        Path debugSocket = null;
        List<Lease> remotes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--public-ip" -> publicIp = Ipv4Address.parse(args[++i]);
                case "--subnet" -> subnet = Ipv4Cidr.parse(args[++i]);
                case "--mac" -> mac = MacAddress.parse(args[++i]);
                case "--vni" -> vni = Integer.parseInt(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--underlay-mtu" -> underlayMtu = Integer.parseInt(args[++i]);
                case "--no-offload" -> offload = false;
                case "--no-gso" -> gso = false;
                case "--no-udp-gro" -> System.setProperty("weft.userspace.udpGro", "false"); // as WEFT_USERSPACE_UDP_GRO=0
                case "--metrics-file" -> metricsFile = Path.of(args[++i]);
                case "--http-port" -> httpPort = Integer.parseInt(args[++i]);
                case "--debug-socket" -> debugSocket = Path.of(args[++i]);
                case "--public-ipv6" -> publicIpv6 = Ipv6Address.parse(args[++i]);
                case "--subnet6" -> subnet6 = Ipv6Cidr.parse(args[++i]);
                case "--mac6" -> mac6 = MacAddress.parse(args[++i]);
                case "--peer6" -> {
                    String[] p = args[++i].split(",");
                    remotes.add(new Lease(null, LeaseRecord.vxlan(null, null, Ipv6Address.parse(p[1]), MacAddress.parse(p[2]), vni),
                            Instant.MAX, Ipv6Cidr.parse(p[0])));
                }
                case "--peer" -> {
                    String[] p = args[++i].split(",");
                    remotes.add(new Lease(Ipv4Cidr.parse(p[0]),
                            LeaseRecord.vxlan(Ipv4Address.parse(p[1]), vni, MacAddress.parse(p[2])), Instant.MAX));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if ((publicIp == null || subnet == null) && (publicIpv6 == null || subnet6 == null)) {
            throw new IllegalArgumentException("--public-ip and --subnet, or --public-ipv6 and --subnet6, are required");
        }
        BackendConf conf = new BackendConf(BackendConf.VXLAN, vni, port, false, 0, BackendConf.USERSPACE);
        // Built the way weftd builds it: /metrics on 127.0.0.1:<http-port>, the debug API (capture) on the socket.
        io.weft.agent.metrics.Metrics metrics = new io.weft.agent.metrics.Metrics();
        io.weft.agent.http.HealthServer http = httpPort > 0
                ? new io.weft.agent.http.HealthServer("127.0.0.1", httpPort, () -> true, () -> true, metrics) : null;
        UserspaceVxlanBackend backend = new UserspaceVxlanBackend(conf, "eth0", publicIp, underlayMtu, mac, Netns.CURRENT,
                offload, gso, publicIpv6, mac6);
        metrics.add(backend);
        if (http != null) http.start();
        io.weft.agent.debug.DebugServer debug = new io.weft.agent.debug.DebugServer();
        debug.register(io.weft.agent.capture.CaptureHandler.PATH, new io.weft.agent.capture.CaptureHandler(() -> backend));
        if (debugSocket != null) io.weft.agent.debug.LocalSocketListener.open(debugSocket, debug);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            debug.close();
            backend.close();
        }));
        backend.prepare();
        Lease local = new Lease(subnet, null, null, subnet6);
        backend.activate(local);
        DesiredState d = backend.desired(local, remotes);
        IpBatch b = new IpBatch();
        for (NeighEntry n : d.neighbours()) b.add(n.replace());
        for (RouteEntry r : d.routes()) b.add(r.replace());
        if (!b.isEmpty()) b.apply(Netns.CURRENT);
        System.out.println("READY " + backend.vtepMac() + " " + backend.datapath().features()
                + (backend.ipv6() != null && subnet != null ? " v6 " + backend.ipv6().mac() : ""));
        System.out.flush();
        while (!stop.await(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            if (metricsFile != null) {
                Path tmp = metricsFile.resolveSibling(metricsFile.getFileName() + ".tmp");
                Files.writeString(tmp, backend.renderPrometheus());
                Files.move(tmp, metricsFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
