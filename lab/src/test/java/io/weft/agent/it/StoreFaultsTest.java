package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.lab.kube.ApiServerProcess;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Faults of the two shared stores, each with two weftd nodes in namespaces: a real etcd (stopped with SIGKILL and
 * started again on its data), and the stand-in API server ({@link ApiServerProcess}: fabric8's mock, no real
 * kube-apiserver runs here; stopped and started again with the Nodes it saved). A known peer's record turned
 * malformed (an etcd value, a node annotation) keeps its routes, as flannel's watch skips what it cannot parse
 * (pkg/subnet/etcd/registry.go watchSubnets, pkg/subnet/kube/kube.go handleUpdateLeaseEvent), and its owner writes it
 * again when it starts; a store down for a minute withdraws no route, neighbour or FDB entry, pods keep talking, and
 * the agents pick up a change made after it is back within seconds. Both clusters live through the same minute.
 */
class StoreFaultsTest {
    static final String CONF = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"SubnetMin\":\"10.244.0.0\",\"Backend\":{\"Type\":\"vxlan\"}}";
    LabCluster etcdLab;
    LabCluster kubeLab;
    LabEtcd etcd;
    ApiServerProcess api;

    @AfterEach
    void tearDown() {
        if (api != null) api.close();
        if (etcd != null) etcd.close();
        if (etcdLab != null) etcdLab.close();
        if (kubeLab != null) kubeLab.close();
    }

    private String etcdctl(String... args) {
        return etcd.etcdctl(etcdLab.underlayNetns(), args);
    }

    /** Every route, neighbour and FDB entry node {@code n} holds on flannel.1. */
    static Set<Object> overlay(LabCluster.Node n) {
        IpReader r = new IpReader(n.ns());
        Set<Object> all = new HashSet<>(r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).toList());
        all.addAll(r.permanentNeighbours("flannel.1"));
        all.addAll(r.vxlanFdb("flannel.1"));
        return all;
    }

    /** A running ping and the file its lines go to. */
    record Ping(Process process, java.nio.file.Path output) {}

    /** A 100 Hz ping whose lines go to a file: a pipe read only at the end would fill and stall ping itself. */
    static Ping ping(LabCluster.Pod from, LabCluster.Pod to, int count) throws Exception {
        java.nio.file.Path out = Files.createTempFile("weft-ping", ".txt");
        return new Ping(new ProcessBuilder("ip", "netns", "exec", from.netns(), "ping", "-c", Integer.toString(count), "-i", "0.01",
                "-W", "1", "-D", "-O", to.ip().toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start(), out);
    }

    /** No reply missing; else the message names when replies were missing and why (-D -O lines), and {@code logs}. */
    static void assertNoLoss(Ping ping, String what, String logs) throws Exception {
        ping.process().waitFor();
        String out = Files.readString(ping.output());
        Files.delete(ping.output());
        String missing = String.join("\n", out.lines().filter(l -> !l.contains(" bytes from ")).toList());
        assertTrue(out.contains(" 0% packet loss"), what + ": " + missing + "\n" + logs);
    }

    static boolean hasRoute(LabCluster.Node n, String cidr) {
        return new IpReader(n.ns()).routes().stream().anyMatch(e -> e.dst().equals(Ipv4Cidr.parse(cidr)));
    }

    @Test
    void badPeerRecordsKeepTheirRoutesAndAStoreDownAMinuteWithdrawsNothing() throws Exception {
        NetnsLab.requireRoot();
        etcdLab = new LabCluster("wt-se", 2, CONF);
        String eip = etcdLab.addUnderlayService().toString();
        etcd = LabEtcd.start(etcdLab.underlayNetns(), eip, 2379, 2380);
        etcdctl("put", "/coreos.com/network/config", CONF);
        etcdLab.useEtcd(etcd.url().toString());

        kubeLab = new LabCluster("wt-sk", 2, CONF);
        String kip = kubeLab.addUnderlayService().toString();
        api = ApiServerProcess.start(kubeLab.underlayNetns(), kip, 6443, kubeLab.workDir().resolve("nodes.json"), List.of("-Xmx256m"));
        api.call("node node1 10.244.5.0/24");
        api.call("node node2 10.244.9.0/24");
        kubeLab.useKubeApi(api.url());

        List<LabCluster> labs = List.of(etcdLab, kubeLab);
        for (LabCluster lab : labs) for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        for (LabCluster lab : labs) lab.awaitConverged(Duration.ofSeconds(60));
        List<LabCluster.Pod[]> pods = List.of(
                new LabCluster.Pod[] {etcdLab.addPod(etcdLab.node(1), "a"), etcdLab.addPod(etcdLab.node(2), "b")},
                new LabCluster.Pod[] {kubeLab.addPod(kubeLab.node(1), "a"), kubeLab.addPod(kubeLab.node(2), "b")});

        // 1. node 2's record turns malformed while its agent is away: etcd's value (on its etcd lease), the Node's annotation
        Ipv4Cidr e2 = SubnetEnv.read(etcdLab.node(2).subnetFile()).subnet();
        String key = "/coreos.com/network/subnets/" + e2.toKey();
        LeaseRecord e2Record = LeaseRecord.parse(etcdctl("get", "--print-value-only", key).strip());
        Set<Object> etcdBefore = overlay(etcdLab.node(1));
        Set<Object> kubeBefore = overlay(kubeLab.node(1));
        for (LabCluster lab : labs) lab.stopAgent(lab.node(2));
        etcdctl("put", "--ignore-lease", key, "{\"PublicIP\":");
        api.call("annotate node2 flannel.alpha.coreos.com/backend-data {\"VNI\":1,\"VtepMAC\":");
        Thread.sleep(3000);
        assertEquals(etcdBefore, overlay(etcdLab.node(1)), "etcd: node 1 keeps node 2's entries");
        assertEquals(kubeBefore, overlay(kubeLab.node(1)), "Kubernetes: node 1 keeps node 2's entries");
        assertEquals(1, etcdLab.log(etcdLab.node(1)).lines().filter(l -> l.contains("lease " + e2 + " in etcd")).count(),
                "one warning:\n" + etcdLab.log(etcdLab.node(1)));
        assertTrue(kubeLab.log(kubeLab.node(1)).contains("keeping its last good record (172.31.0.2)"), kubeLab.log(kubeLab.node(1)));
        for (LabCluster lab : labs) lab.startAgent(lab.node(2));
        Probe.await("node 2 to store its etcd record again", Duration.ofSeconds(30),
                () -> LeaseRecord.parse(etcdctl("get", "--print-value-only", key).strip()).equals(e2Record));
        String vtep = "\\\"VtepMAC\\\":\\\"" + new IpReader(kubeLab.node(2).ns()).link("flannel.1").orElseThrow().mac();
        Probe.await("node 2 to publish its annotations again", Duration.ofSeconds(30),
                () -> api.call("annotations node2").contains(vtep));
        assertEquals(e2, SubnetEnv.read(etcdLab.node(2).subnetFile()).subnet(), "node 2 kept its subnet");

        // 2. both stores down for a minute
        List<Set<Object>> before = List.of(overlay(etcdLab.node(1)), overlay(etcdLab.node(2)), overlay(kubeLab.node(1)),
                overlay(kubeLab.node(2)));
        List<Ping> pings = List.of(ping(pods.get(0)[0], pods.get(0)[1], 7500), ping(pods.get(1)[0], pods.get(1)[1], 7500));
        etcd.pause(true);
        api.pause();
        for (int s = 0; s < 60; s += 5) {
            Thread.sleep(5000);
            assertEquals(before, List.of(overlay(etcdLab.node(1)), overlay(etcdLab.node(2)), overlay(kubeLab.node(1)),
                    overlay(kubeLab.node(2))), "nothing withdrawn " + (s + 5) + " s into the outage");
        }
        etcd.resume();
        api.resume();
        long t0 = System.nanoTime();
        etcdctl("put", "/coreos.com/network/subnets/10.250.77.0-24", LeaseRecord.vxlan(io.weft.core.net.Ipv4Address.parse(
                "172.31.0.77"), 1, io.weft.core.net.MacAddress.parse("0a:58:00:00:00:77")).toJson());
        api.call("peers 1 77"); // peer-77: 10.64.77.0/24
        Probe.await("the etcd nodes to program a lease stored after etcd is back", Duration.ofSeconds(30),
                () -> hasRoute(etcdLab.node(1), "10.250.77.0/24") && hasRoute(etcdLab.node(2), "10.250.77.0/24"));
        double etcdCatchUp = (System.nanoTime() - t0) / 1e9;
        // fabric8's watch over the JDK's WebSocket can stay half-closed after the server went away; the agent's
        // outage check (ApiOutageWatch, every 10 s) lists and watches afresh once the server answers again
        Probe.await("the Kubernetes nodes to program a Node added after the API server is back", Duration.ofSeconds(30),
                () -> hasRoute(kubeLab.node(1), "10.64.77.0/24") && hasRoute(kubeLab.node(2), "10.64.77.0/24"),
                () -> kubeLab.log(kubeLab.node(1)) + kubeLab.log(kubeLab.node(2)));
        double kubeCatchUp = (System.nanoTime() - t0) / 1e9;
        System.out.printf("caught up after the outage: etcd %.1f s, stand-in API server %.1f s%n", etcdCatchUp, kubeCatchUp);
        assertNoLoss(pings.get(0), "etcd cluster, 100 Hz ping through the outage",
                etcdLab.log(etcdLab.node(1)) + etcdLab.log(etcdLab.node(2)));
        assertNoLoss(pings.get(1), "Kubernetes cluster, 100 Hz ping through the outage",
                kubeLab.log(kubeLab.node(1)) + kubeLab.log(kubeLab.node(2)));
    }
}
