package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.lease.LeaseRecord;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Bad lease files in a lease directory shared by two nodes (real kernels in namespaces): a peer whose file turns
 * unreadable keeps its routes on its last good record until that lease would have expired, as flannel's watch skips
 * an event it cannot parse (pkg/subnet/etcd/registry.go watchSubnets); its owner writes it again; a node restarted
 * over its own unreadable file keeps its subnet; a deleted subnet.env is written again; /readyz tells the truth.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaseFaultsTest {
    static final int HEALTH = 9797;
    static LabCluster lab;
    static LabCluster.Pod a;
    static LabCluster.Pod b;

    @BeforeAll
    static void start() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-lf", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        lab.agentArgs(List.of("--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTH)));
        for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
        lab.awaitConverged(Duration.ofSeconds(60));
        a = lab.addPod(lab.node(1), "a");
        b = lab.addPod(lab.node(2), "b");
    }

    @AfterAll
    static void stop() {
        if (lab != null) lab.close();
    }

    static Path leaseFile(LabCluster.Node n) throws Exception {
        return lab.leaseDir().resolve("subnets").resolve(SubnetEnv.read(n.subnetFile()).subnet().toKey());
    }

    /** The kernel entries node {@code n} holds for its peers. */
    static Set<Object> overlay(LabCluster.Node n) {
        IpReader r = new IpReader(n.ns());
        Set<Object> all = new java.util.HashSet<>();
        all.addAll(r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).toList());
        all.addAll(r.permanentNeighbours("flannel.1"));
        all.addAll(r.vxlanFdb("flannel.1"));
        return all;
    }

    static Process ping(int count) throws Exception {
        return new ProcessBuilder("ip", "netns", "exec", a.netns(), "ping", "-c", Integer.toString(count), "-i", "0.01", "-W", "1",
                "-q", b.ip().toString()).redirectErrorStream(true).start();
    }

    static void assertNoLoss(Process ping) throws Exception {
        String out = new String(ping.getInputStream().readAllBytes());
        ping.waitFor();
        assertTrue(out.contains(" 0% packet loss"), "100 Hz ping from a pod on node 1 to one on node 2: " + out);
    }

    static long count(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).count();
    }

    @Test
    @Order(1)
    void aTruncatedPeerLeaseKeepsItsRoutesAndItsRestartedOwnerKeepsItsSubnet() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        LabCluster.Node n2 = lab.node(2);
        Path file = leaseFile(n2);
        String good = Files.readString(file);
        String env = Files.readString(n2.subnetFile());
        Set<Object> before = overlay(n1);
        long logFrom = Files.size(n1.log());

        lab.stopAgent(n2); // its datapath stays; nobody repairs its file meanwhile
        Process ping = ping(600);
        Files.writeString(file, good.substring(0, good.length() / 2)); // a write cut short
        Thread.sleep(3000); // three full rounds of node 1 (--resync-interval 1s)
        assertEquals(before, overlay(n1), "node 1 keeps node 2's routes, neighbour and FDB entry");
        String log1 = lab.log(n1).substring((int) logFrom);
        String subnet = SubnetEnv.read(n2.subnetFile()).subnet().toString();
        assertEquals(1, count(log1, "lease " + subnet + " in lease directory"), "one warning, not one per round:\n" + log1);
        assertTrue(log1.contains("keeping its last good record (172.31.0.2)"), log1);

        // restarted over its unreadable file, node 2 takes the subnet its subnet.env names and writes its record again
        long logFrom2 = Files.size(n2.log());
        lab.startAgent(n2);
        Probe.await("node 2's lease file to read well again", Duration.ofSeconds(30), () -> readsAs(file, good));
        Probe.await("node 2 ready", Duration.ofSeconds(30), () -> lab.log(n2).substring((int) logFrom2).contains("ready:"));
        assertEquals(env, Files.readString(n2.subnetFile()), "node 2 kept its subnet and subnet.env");
        assertNoLoss(ping);
        assertEquals(before, overlay(n1));
        Probe.await("node 1 to see it again", Duration.ofSeconds(10), () -> lab.log(n1).contains("reads well again"));
    }

    @Test
    @Order(2)
    void anOwnerWritesItsCorruptedLeaseAgain() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        Path file = leaseFile(n1);
        String good = Files.readString(file);
        Files.writeString(file, "{\"PublicIP\":\"not an address\"}");
        Probe.await("node 1 to write its lease again", Duration.ofSeconds(10), () -> readsAs(file, good));
        assertTrue(lab.log(n1).contains("wrote it again"), lab.log(n1));
        assertTrue(LabCluster.get(n1, HEALTH, "/readyz").startsWith("HTTP/1.1 200"), LabCluster.get(n1, HEALTH, "/readyz"));
    }

    @Test
    @Order(3)
    void aKeptRecordGoesWhenItsLeaseWouldHaveExpired() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        LabCluster.Node n2 = lab.node(2);
        Path file = leaseFile(n2);
        String good = Files.readString(file);
        lab.stopAgent(n2);
        // node 2's lease now runs out in 5 s: node 1 reads that time with the record
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(24)).plusSeconds(5)));
        Thread.sleep(500);
        Files.writeString(file, "{");
        Thread.sleep(1500);
        IpReader r = new IpReader(n1.ns());
        assertEquals(1, r.routes().stream().filter(e -> "flannel.1".equals(e.dev())).count(), "kept until it would expire");
        Probe.await("node 1 to drop node 2's routes once the lease would have expired", Duration.ofSeconds(15),
                () -> r.routes().stream().noneMatch(e -> "flannel.1".equals(e.dev())));
        assertTrue(lab.log(n1).contains("its last good record expired"), lab.log(n1));

        lab.startAgent(n2); // and back: the subnet its subnet.env names, its record written again
        Probe.await("node 2's lease back", Duration.ofSeconds(30), () -> readsAs(file, good));
        Probe.await("node 1's route back", Duration.ofSeconds(10),
                () -> r.routes().stream().anyMatch(e -> "flannel.1".equals(e.dev())));
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    @Order(4)
    void aDeletedSubnetEnvIsWrittenAgainAndReadinessTellsTheTruth() throws Exception {
        LabCluster.Node n1 = lab.node(1);
        String env = Files.readString(n1.subnetFile());
        Files.delete(n1.subnetFile());
        Probe.await("subnet.env back", Duration.ofSeconds(5), () -> Files.exists(n1.subnetFile()));
        assertEquals(env, Files.readString(n1.subnetFile()));

        // a directory in its place: the agent cannot write it, and /readyz says so (the CNI plugin cannot plug pods)
        Files.delete(n1.subnetFile());
        Files.createDirectory(n1.subnetFile());
        Probe.await("/readyz to answer 503", Duration.ofSeconds(10),
                () -> LabCluster.get(n1, HEALTH, "/readyz").startsWith("HTTP/1.1 503"));
        String why = LabCluster.get(n1, HEALTH, "/readyz");
        assertTrue(why.contains("not ready: cannot write " + n1.subnetFile()), why);
        assertTrue(LabCluster.get(n1, HEALTH, "/metrics").contains("\nweft_ready 0\n"));
        Files.delete(n1.subnetFile());
        Probe.await("/readyz to answer 200 again", Duration.ofSeconds(30),
                () -> LabCluster.get(n1, HEALTH, "/readyz").startsWith("HTTP/1.1 200"));
        assertEquals(env, Files.readString(n1.subnetFile()));
    }

    static boolean readsAs(Path file, String good) throws Exception {
        return LeaseRecord.parse(Files.readString(file)).equals(LeaseRecord.parse(good));
    }
}
