package io.weft.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.weft.agent.http.HealthServer;
import io.weft.agent.metrics.Metrics;
import io.weft.agent.subnet.LocalDirSubnetManager;
import io.weft.agent.subnet.etcd.EtcdClient;
import io.weft.agent.subnet.kube.NodeAnnotations;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Netns;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import picocli.CommandLine;

/**
 * {@code weftd aot-training}, the training run for weftd's AOT cache (make-aot-cache runs it through the launcher,
 * so the JVM options are the launcher's own; the build and the node image make the cache): what a
 * start-up does, without root and without touching the node — parse the command line and a config, write a lease
 * and subnet.env in a temporary directory, read the kernel's tables, bind a UDP socket on loopback through Netty's
 * epoll transport, serve and fetch /metrics and the debug socket, build the Kubernetes and etcd clients and read a Node. The JVM keeps
 * the classes this loads, linked, in the cache, so the next weftd starts without loading them from the jars (a
 * restart that carries no traffic until it is up takes ~0.7 s less here).
 */
@CommandLine.Command(name = "aot-training", hidden = true,
        description = "The training run for weftd's AOT cache (make-aot-cache runs it through the launcher).")
public final class AotTraining implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Path tmp = Files.createTempDirectory("weftd-aot-");
        try {
            run(tmp);
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private static void run(Path tmp) throws Exception {
        Main.parse(new String[] {"--kube-subnet-mgr", "--ip-masq", "--healthz-port", "10267", "--iface", "eth0"},
                java.util.Map.of()).settings();
        LogSetup.init(false);
        loadOwnClasses();

        NetConf conf = NetConfParser.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}");
        LeaseRecord rec = LeaseRecord.vxlan(Ipv4Address.parse("192.0.2.1"), 1, MacAddress.parse("02:00:00:00:00:01"));
        LeaseRecord.parse(rec.toJson());
        try (LocalDirSubnetManager m = new LocalDirSubnetManager(tmp.resolve("leases"), conf)) {
            var lease = m.acquire(rec);
            m.leases();
            new SubnetEnv(conf.network(), lease.subnet(), 1450, true).writeAtomically(tmp.resolve("subnet.env"));
        }
        try {
            IpReader r = new IpReader(Netns.CURRENT);
            r.links();
            r.routes();
        } catch (RuntimeException e) {
            // no iproute2 where the cache is made: its classes are loaded anyway
        }

        NodeAnnotations keys = new NodeAnnotations(NodeAnnotations.DEFAULT_PREFIX);
        keys.decode(keys.encode(rec));
        try (KubernetesClient c = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl("https://192.0.2.1:6443")
                .build()).build()) {
            c.nodes(); // the DSL, without a request
            Serialization.unmarshal("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\",\"annotations\":"
                    + "{\"a\":\"b\"}},\"spec\":{\"podCIDR\":\"10.244.1.0/24\"}}", Node.class);
        }
        new EtcdClient(EtcdClient.parseEndpoints("http://127.0.0.1:2379")).close();

        Metrics metrics = new Metrics();
        HealthServer http = new HealthServer("127.0.0.1", 0, () -> true, () -> true, metrics);
        http.start();
        try (HttpClient c = HttpClient.newHttpClient()) {
            c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } finally {
            http.close();
        }

        io.weft.agent.debug.DebugServer debug = new io.weft.agent.debug.DebugServer();
        debug.register("/debug/capture", (req, res) -> res.text(503, "training"));
        try (debug) {
            Path sock = tmp.resolve("run/weftd.sock");
            io.weft.agent.debug.LocalSocketListener.open(sock, debug);
            new io.weft.agent.debug.DebugClient(sock.toString(), null).get("/debug/capture", java.time.Duration.ofSeconds(5)).text();
        }

        udpOnLoopback();
    }

    /** Netty's epoll transport as the userspace datapath sets it up, sending one datagram to itself. */
    private static void udpOnLoopback() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.UDP_GRO, true)
                    .option(io.netty.channel.ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .handler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64).writeLong(0x0800000000000100L);
            ch.writeAndFlush(new DatagramPacket(b, (InetSocketAddress) ch.localAddress())).sync();
            ch.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    /** weft's own classes, loaded without running them: small, and any of them may be on a start's path. */
    private static void loadOwnClasses() throws IOException {
        ClassLoader cl = AotTraining.class.getClassLoader();
        for (Class<?> anchor : List.of(AotTraining.class, NetConf.class)) {
            var src = anchor.getProtectionDomain().getCodeSource();
            if (src == null || !src.getLocation().getPath().endsWith(".jar")) continue;
            try (JarFile jar = new JarFile(Path.of(URI.create(src.getLocation().toString())).toFile())) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    if (!n.endsWith(".class") || n.contains("module-info")) continue;
                    try {
                        Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, cl);
                    } catch (ClassNotFoundException | LinkageError ignored) {
                        // optional dependencies of a class we never run
                    }
                }
            }
        }
    }
}
