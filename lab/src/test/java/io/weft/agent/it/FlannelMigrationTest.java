package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One node moves from flanneld to weft under a 100 Hz ping between pods on two nodes, and back. Node 1 is set up
 * exactly as flanneld leaves it: {@code flannel.1} with flannel's attributes (pkg/backend/vxlan/device.go
 * {@code newVXLANDevice}), its /32 address, the route, permanent neighbour and FDB entry to the other node
 * (vxlan_network.go {@code handleSubnetEvents}), subnet.env (main.go {@code WriteSubnetFile}), its lease in the lease
 * store, and its iptables chains as iptables.go creates them ({@code CreateIP4Chain}, then {@code ipTablesBootstrap}'s
 * one iptables-restore) or its nftables tables (nftables.go). Node 2 runs weft. weftd then starts on node 1: not one
 * ping is lost, the subnet, VtepMAC and device stay, and the firewall holds one copy of each rule. When weftd stops
 * again, node 1 holds what flanneld left, so flanneld takes over as it would from itself.
 */
class FlannelMigrationTest {
    static final Ipv4Cidr NET = Ipv4Cidr.parse("10.244.0.0/16");
    static final Ipv4Cidr SUB = Ipv4Cidr.parse("10.244.7.0/24");
    static final MacAddress MAC = MacAddress.parse("0e:f1:a0:00:07:01");
    LabCluster lab;
    LabEtcd etcd;

    @AfterEach
    void tearDown() {
        if (lab != null) lab.close();
        if (etcd != null) etcd.close();
    }

    @Test
    void iptablesModeWithLeasesInADirectory() throws Exception {
        migrate(false, false);
    }

    @Test
    void nftablesModeWithLeasesInEtcd() throws Exception {
        migrate(true, true);
    }

    /** What a node holds that flanneld made and reads back. */
    record State(int linkIndex, MacAddress mac, int mtu, LinkInfo.Vxlan vxlan, List<IfAddress> addresses, Set<RouteEntry> routes,
                 Set<NeighEntry> neighbours, Set<FdbEntry> fdb, String subnetEnv, LeaseRecord lease, List<String> iptables,
                 Optional<String> nftV4, Optional<String> nftV6) {}

    private void migrate(boolean nftables, boolean inEtcd) throws Exception {
        NetnsLab.requireRoot();
        String conf = "{\"Network\":\"10.244.0.0/16\",\"EnableNFTables\":" + nftables + ",\"Backend\":{\"Type\":\"vxlan\"}}";
        lab = new LabCluster(nftables ? "wt-mign" : "wt-migi", 2, conf);
        if (inEtcd) {
            etcd = LabEtcd.start(lab.underlayNetns(), lab.addUnderlayService().toString(), 2379, 2380);
            etcdctl("put", "/coreos.com/network/config", conf);
            lab.useEtcd(etcd.url().toString());
        }
        lab.agentArgs(List.of("--ip-masq"));
        LabCluster.Node n1 = lab.node(1);
        LabCluster.Node n2 = lab.node(2);
        // Docker's FORWARD DROP on both nodes, so the forward rules carry the pods (nftables' accept in its own table
        // cannot overrule a drop in iptables' chain, so that mode runs with the default policy).
        if (!nftables) for (LabCluster.Node n : lab.nodes()) Firewall.forwardPolicyDrop(n);

        // node 1 as flanneld leaves it, its lease stored first so node 2 finds it
        LeaseRecord lease1 = LeaseRecord.vxlan(n1.ip(), 1, MAC);
        String leaseKey = "subnets/" + SUB.toKey();
        if (inEtcd) {
            String id = etcdctl("lease", "grant", "86400").split("\\s+")[1];
            etcdctl("put", "--lease=" + id, "/coreos.com/network/" + leaseKey, lease1.toJson());
        } else {
            Files.createDirectories(lab.leaseDir().resolve("subnets"));
            Files.writeString(lab.leaseDir().resolve(leaseKey), lease1.toJson());
        }
        String ns1 = n1.netns();
        sh(ns1, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", n1.ip().toString(), "dev", "eth0",
                "dstport", "8472", "nolearning");
        sh(ns1, "ip", "link", "set", "flannel.1", "address", MAC.toString(), "mtu", "1450");
        sh(ns1, "ip", "addr", "add", SUB.network() + "/32", "dev", "flannel.1");
        sh(ns1, "ip", "link", "set", "flannel.1", "up");
        Files.writeString(n1.subnetFile(), "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\n"
                + "FLANNEL_IPMASQ=true\n");
        if (nftables) {
            IpRunner.run(List.of("ip", "netns", "exec", ns1, "nft", "-f", "-"), Firewall.flannelsNftScript(NET, SUB)).orThrow();
        } else {
            sh(ns1, "iptables", "-w", "-t", "nat", "-N", "FLANNEL-POSTRTG");
            sh(ns1, "iptables", "-w", "-t", "filter", "-N", "FLANNEL-FWD");
            IpRunner.run(List.of("ip", "netns", "exec", ns1, "iptables-restore", "--noflush", "--wait"),
                    Firewall.flannelsRestore(NET, SUB)).orThrow();
        }

        lab.startAgent(n2);
        SubnetEnv env2 = lab.awaitSubnetEnv(n2, java.time.Duration.ofSeconds(60));
        Ipv4Cidr sub2 = env2.subnet();
        LeaseRecord lease2 = lease(sub2);
        // flanneld's entries for node 2, as its vxlan backend adds them when node 2's lease appears
        sh(ns1, "ip", "route", "replace", sub2.toString(), "via", sub2.network().toString(), "dev", "flannel.1", "onlink");
        sh(ns1, "ip", "neigh", "replace", sub2.network().toString(), "lladdr", lease2.vtepMac().toString(), "dev",
                "flannel.1", "nud", "permanent");
        sh(ns1, "bridge", "fdb", "replace", lease2.vtepMac().toString(), "dev", "flannel.1", "dst", n2.ip().toString(),
                "self", "permanent");
        LabCluster.Pod a = lab.addPod(n1, "a");
        LabCluster.Pod b = lab.addPod(n2, "b");
        Probe.await("node 2 routes to flannel's node", java.time.Duration.ofSeconds(30), () -> Probe.reachable(b, a));
        assertTrue(Probe.reachable(a, b), "the flannel node reaches the weft node");
        State flannels = state(n1);

        // weftd takes over node 1 under a 100 Hz ping
        Process ping = new ProcessBuilder("ip", "netns", "exec", a.netns(), "ping", "-c", "1000", "-i", "0.01", "-W", "1",
                "-q", b.ip().toString()).redirectErrorStream(true).start();
        Thread.sleep(1000);
        lab.startAgent(n1);
        Firewall.awaitLog(lab, n1, 0, "ready:");
        String out = new String(ping.getInputStream().readAllBytes());
        ping.waitFor();
        assertTrue(out.contains(" 0% packet loss"), "100 Hz ping while weftd takes over from flannel: " + out + "\n" + lab.log(n1));

        State wefts = state(n1);
        assertEquals(SUB, SubnetEnv.read(n1.subnetFile()).subnet(), "same subnet");
        assertEquals(flannels.linkIndex(), wefts.linkIndex(), "flannel.1 adopted, not recreated");
        assertEquals(MAC, wefts.mac(), "same VtepMAC");
        assertEquals(lease1, wefts.lease(), "the lease names the same node and VtepMAC");
        String log = lab.log(n1);
        assertTrue(!log.contains("created flannel.1") && !log.contains("reconcile: "), "nothing of flannel's redone:\n" + log);
        assertEquals(new HashSet<>(wefts.iptables()).size(), wefts.iptables().size(), "no duplicate rule: " + wefts.iptables());
        if (nftables) {
            assertEquals(List.of(), wefts.iptables());
            assertEquals(Optional.of(Firewall.weftsNftTable(NET, SUB)), wefts.nftV4(), "one table, each chain once");
            assertEquals(flannels.nftV6(), wefts.nftV6());
            // the masquerade chain is weft's version of flannel's (two rules as flannel's iptables manager has them)
            assertEquals(flannels, new State(wefts.linkIndex(), wefts.mac(), wefts.mtu(), wefts.vxlan(), wefts.addresses(),
                    wefts.routes(), wefts.neighbours(), wefts.fdb(), wefts.subnetEnv(), wefts.lease(), wefts.iptables(),
                    flannels.nftV4(), wefts.nftV6()));
        } else {
            assertEquals(flannels, wefts, "weft found everything as it wants it and changed nothing");
            assertTrue(log.contains("iptables rules for 10.244.0.0/16: already in place"), log);
        }

        // and back: weftd stops, and node 1 holds what flanneld had made
        lab.stopAgent(n1);
        State after = state(n1);
        assertEquals(wefts, after, "weftd leaves everything in place when it stops");
        assertTrue(Probe.reachable(a, b), "pods keep talking with no agent on node 1");
    }

    private State state(LabCluster.Node n) throws Exception {
        IpReader r = new IpReader(n.ns());
        LinkInfo l = r.link("flannel.1").orElseThrow();
        return new State(l.index(), l.mac(), l.mtu(), l.vxlan(), r.addresses("flannel.1"), Set.copyOf(r.routes()),
                Set.copyOf(r.permanentNeighbours("flannel.1")), Set.copyOf(r.vxlanFdb("flannel.1")),
                Files.readString(n.subnetFile()), lease(SUB), Firewall.flannelLines(n.netns()),
                Firewall.nftTable(n.netns(), "ip", "flannel-ipv4"), Firewall.nftTable(n.netns(), "ip6", "flannel-ipv6"));
    }

    private LeaseRecord lease(Ipv4Cidr subnet) throws Exception {
        if (etcd != null) {
            return LeaseRecord.parse(etcdctl("get", "--print-value-only", "/coreos.com/network/subnets/" + subnet.toKey()).strip());
        }
        Path f = lab.leaseDir().resolve("subnets").resolve(subnet.toKey());
        return LeaseRecord.parse(Files.readString(f));
    }

    private String etcdctl(String... args) {
        return etcd.etcdctl(lab.underlayNetns(), args);
    }

    private static void sh(String netns, String... cmd) {
        Firewall.run(netns, cmd);
    }
}
