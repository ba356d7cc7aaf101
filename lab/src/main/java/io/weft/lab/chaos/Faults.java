package io.weft.lab.chaos;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.jvm.ChildJvm;
import io.weft.lab.netns.NetnsLab;
import io.weft.lab.peers.FakePeers;
import io.weft.lab.traffic.TrafficTool;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The faults the chaos run injects. Each waits, after injecting, until the cluster has repaired the damage, and
 * returns how long that took; one that is not repaired within a minute fails the run.
 */
final class Faults {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** A kind of fault. */
    record Fault(String name, Action action) {
        double inject() throws Exception {
            return action.run();
        }
    }

    interface Action {
        /** Injects the fault, waits for the repair, returns the seconds from injection to repair. */
        double run() throws Exception;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    private final Chaos c;
    /** The node the last fault was injected into, for the progress line. */
    String target = "";

    Faults(Chaos c) {
        this.c = c;
    }

    List<Fault> applicable() {
        List<Fault> f = new ArrayList<>();
        f.add(new Fault("kill -9 an agent (kernel node)", () -> restart(kernelNode(), true)));
        f.add(new Fault("restart an agent (kernel node)", () -> restart(kernelNode(), false)));
        if (c.options.userspaceNodes() > 0) {
            f.add(new Fault("kill -9 an agent (userspace node)", () -> restart(userspaceNode(), true)));
            f.add(new Fault("restart an agent (userspace node)", () -> restart(userspaceNode(), false)));
            f.add(new Fault("flood the userspace port with junk", this::flood));
        }
        f.add(new Fault("delete flannel.1 (kernel node)", this::deleteDevice));
        f.add(new Fault("delete a route", () -> deleteEntry("route")));
        f.add(new Fault("delete a neighbour", () -> deleteEntry("neighbour")));
        f.add(new Fault("delete an FDB entry", () -> deleteEntry("fdb")));
        f.add(new Fault("corrupt a lease", this::corruptLease));
        if (c.etcd != null) f.add(new Fault("stop and start etcd", this::etcdOutage));
        if (c.tmpfs != null) f.add(new Fault("fill the lease directory + restart", this::fill));
        return f;
    }

    private LabCluster.Node kernelNode() {
        List<LabCluster.Node> k = c.lab.nodes().stream().filter(n -> !c.userspace(n)).toList();
        return aimAt(k.get(c.random.nextInt(k.size())));
    }

    private LabCluster.Node userspaceNode() {
        List<LabCluster.Node> u = c.lab.nodes().stream().filter(c::userspace).toList();
        return aimAt(u.get(c.random.nextInt(u.size())));
    }

    private LabCluster.Node aimAt(LabCluster.Node n) {
        target = "n" + n.index();
        return n;
    }

    private static double await(String what, double t0, Check check) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            boolean ok;
            try {
                ok = check.holds();
            } catch (Exception e) {
                ok = false;
            }
            if (ok) return Chaos.now() - t0;
            if (System.nanoTime() > deadline) throw new IllegalStateException(what + ": not repaired within " + TIMEOUT);
            Thread.sleep(20);
        }
    }

    /** Every entry a node should hold for its peers is there (the userspace datapath keeps its FDB itself). */
    private boolean complete(LabCluster.Node n) {
        int peers = c.lab.nodes().size() - 1;
        return LabCluster.overlayCount(n) == (c.userspace(n) ? 2 : 3) * peers;
    }

    private double restart(LabCluster.Node n, boolean kill) throws Exception {
        double t0 = Chaos.now();
        long logged = Files.exists(n.log()) ? Files.size(n.log()) : 0;
        if (kill) c.lab.killAgent(n);
        else c.lab.stopAgent(n);
        c.start(n);
        // Probing /readyz and listing the kernel's entries start processes (ip netns exec, bash, ip); 50 times a second
        // during a start they took ~0.3 of a core on this 2-core machine from the very start being timed. Reading the
        // log costs next to nothing, so those checks wait until the new agent says it is ready.
        await("agent on node " + n.index() + " to log ready", t0, () -> c.lab.log(n).substring((int) logged).contains("ready: "));
        return await("agent on node " + n.index(), t0, () -> LabCluster.ready(n, Chaos.HEALTH) && complete(n));
    }

    private double deleteDevice() throws Exception {
        LabCluster.Node n = kernelNode();
        double t0 = Chaos.now();
        NetnsLab.sh("ip", "-n", n.netns(), "link", "del", "flannel.1");
        return await("flannel.1 on node " + n.index(), t0, () -> complete(n));
    }

    private double deleteEntry(String kind) throws Exception {
        LabCluster.Node n = kernelNode();
        IpReader r = new IpReader(n.ns());
        double t0;
        switch (kind) {
            case "route" -> {
                List<RouteEntry> all = r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).toList();
                RouteEntry e = all.get(c.random.nextInt(all.size()));
                t0 = Chaos.now();
                NetnsLab.sh("ip", "-n", n.netns(), "route", "del", e.dst().toString(), "dev", "flannel.1");
            }
            case "neighbour" -> {
                List<NeighEntry> all = r.permanentNeighbours("flannel.1");
                NeighEntry e = all.get(c.random.nextInt(all.size()));
                t0 = Chaos.now();
                NetnsLab.sh("ip", "-n", n.netns(), "neigh", "del", e.ip().toString(), "dev", "flannel.1");
            }
            default -> {
                List<FdbEntry> all = r.vxlanFdb("flannel.1");
                FdbEntry e = all.get(c.random.nextInt(all.size()));
                t0 = Chaos.now();
                NetnsLab.sh("bridge", "-n", n.netns(), "fdb", "del", e.mac().toString(), "dev", "flannel.1", "dst", e.dst().toString(),
                        "self");
            }
        }
        return await(kind + " on node " + n.index(), t0, () -> complete(n));
    }

    private double corruptLease() throws Exception {
        LabCluster.Node n = aimAt(c.lab.nodes().get(c.random.nextInt(c.lab.nodes().size())));
        Ipv4Cidr subnet = SubnetEnv.read(n.subnetFile()).subnet();
        double t0;
        if (c.etcd != null) {
            String key = "/coreos.com/network/subnets/" + subnet.toKey();
            LeaseRecord good = LeaseRecord.parse(etcdctl("get", "--print-value-only", key).strip());
            t0 = Chaos.now();
            etcdctl("put", "--ignore-lease", key, "{\"PublicIP\":");
            return await("lease of node " + n.index(), t0,
                    () -> LeaseRecord.parse(etcdctl("get", "--print-value-only", key).strip()).equals(good));
        }
        Path file = c.lab.leaseDir().resolve("subnets").resolve(subnet.toKey());
        LeaseRecord good = LeaseRecord.parse(Files.readString(file));
        t0 = Chaos.now();
        Files.writeString(file, "{\"PublicIP\":");
        return await("lease of node " + n.index(), t0, () -> LeaseRecord.parse(Files.readString(file)).equals(good));
    }

    private String etcdctl(String... args) {
        return c.etcd.etcdctl(c.lab.underlayNetns(), args);
    }

    /** etcd killed, down for the outage, started again; repaired once a lease stored after that is on every node. */
    private double etcdOutage() throws Exception {
        double t0 = Chaos.now();
        c.etcd.pause(true);
        Thread.sleep(c.options.etcdOutage().toMillis());
        c.etcd.resume();
        int probe = 1000 + c.random.nextInt(1000);
        Ipv4Cidr subnet = FakePeers.subnet(probe);
        etcdctl("put", "/coreos.com/network/subnets/" + subnet.toKey(), FakePeers.record(probe).toJson());
        double back = await("a lease stored after etcd came back", t0, () -> c.lab.nodes().stream().allMatch(n ->
                new IpReader(n.ns()).routes().stream().anyMatch(e -> e.dst().equals(subnet))));
        etcdctl("del", "/coreos.com/network/subnets/" + subnet.toKey());
        return back;
    }

    /** The lease directory's file system full while an agent restarts (its lease cannot be written, only kept). */
    private double fill() throws Exception {
        Path filler = c.tmpfs.resolve("filler");
        try (OutputStream o = Files.newOutputStream(filler)) {
            byte[] block = new byte[64 * 1024];
            while (true) o.write(block);
        } catch (IOException full) {
            // No space left on device: as intended
        }
        try {
            return restart(kernelNode(), false);
        } finally {
            Files.deleteIfExists(filler);
        }
    }

    /** 30 000 junk datagrams to the userspace node's VXLAN port from a known peer's address. */
    private double flood() throws Exception {
        LabCluster.Node from = c.lab.node(1);
        LabCluster.Node to = userspaceNode();
        double t0 = Chaos.now();
        Process p = new ProcessBuilder(ChildJvm.command(from.netns(), null, List.of(), TrafficTool.class.getName(),
                List.of("udp-source", to.ip().toString(), "8472", "30000", "120"))).redirectErrorStream(true).start();
        ChildJvm.await(p, "SENT", 120);
        p.waitFor();
        return await("the userspace node after the flood", t0, () -> complete(to));
    }
}
