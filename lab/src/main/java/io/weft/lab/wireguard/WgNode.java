package io.weft.lab.wireguard;

import io.weft.agent.backend.wireguard.WireGuardBackend;
import io.weft.agent.subnet.Lease;
import io.weft.core.config.BackendConf;
import io.weft.core.config.WireGuardConf;
import io.weft.core.iproute.Netns;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The wireguard backend's userspace datapath on its own, without a subnet manager: for the benchmark, which runs it inside a node's
 * namespace ({@code ip netns exec <ns> java ... WgNode ...}). It does what weftd does with the backend (device,
 * address, Network route, peers from leases given on the command line), then runs until SIGTERM.
 *
 * <pre>
 * WgNode --public-ip 172.31.0.1 --subnet 10.244.1.0/24 --key-file F [--port 51820] [--underlay-mtu 1500]
 *        [--no-offload] --peer 10.244.2.0/24,172.31.0.2,PUBLICKEY ...
 * </pre>
 * Prints {@code READY <public key>} on stdout once packets flow.
 */
public final class WgNode {
    private WgNode() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
        Ipv4Address publicIp = null;
        Ipv4Cidr subnet = null;
        Path keyFile = null;
        int port = WireGuardConf.DEFAULT_PORT;
        int underlayMtu = 1500;
        boolean offload = true;
        List<String[]> peers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--public-ip" -> publicIp = Ipv4Address.parse(args[++i]);
                case "--subnet" -> subnet = Ipv4Cidr.parse(args[++i]);
                case "--key-file" -> keyFile = Path.of(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--underlay-mtu" -> underlayMtu = Integer.parseInt(args[++i]);
                case "--no-offload" -> offload = false;
                case "--peer" -> peers.add(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (publicIp == null || subnet == null || keyFile == null) {
            throw new IllegalArgumentException("--public-ip, --subnet and --key-file are required");
        }
        BackendConf conf = new BackendConf(BackendConf.WIREGUARD, 0, port, false, 0,
                BackendConf.USERSPACE, new WireGuardConf(null, port, port + 1, 0, WireGuardConf.SEPARATE));
        WireGuardBackend backend = new WireGuardBackend(Netns.CURRENT, conf, publicIp, Ipv4Cidr.parse("10.244.0.0/16"),
                underlayMtu, keyFile, offload);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            backend.close();
        }));
        backend.prepare();
        Lease local = new Lease(subnet, null, null);
        backend.activate(local);
        List<Lease> remotes = new ArrayList<>();
        for (String[] p : peers) {
            remotes.add(new Lease(Ipv4Cidr.parse(p[0]), LeaseRecord.wireguard(Ipv4Address.parse(p[1]), p[2], port), Instant.MAX));
        }
        backend.desired(local, remotes);
        System.out.println("READY " + backend.publicKey());
        System.out.flush();
        stop.await();
    }
}
