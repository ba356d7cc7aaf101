package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A lease store that refuses writes (a read-only lease directory, an etcd user that may only read): running agents
 * carry on; a restarted agent whose lease is still valid comes up on it and keeps forwarding, renewing when the store
 * lets it (a userspace node too, which carries nothing while it is away); a first start fails with one line naming the store
 * and what to do, and leaves the node as it found it.
 */
class UnwritableStoreTest {
    LabCluster lab;
    LabEtcd etcd;
    Path readOnly;

    @AfterEach
    void tearDown() {
        if (readOnly != null) NetnsLab.run("umount", readOnly.toString());
        if (lab != null) lab.close();
        if (etcd != null) etcd.close();
    }

    private void startTwoOfThree() throws Exception {
        for (int i = 1; i <= 2; i++) lab.startAgent(lab.node(i));
        for (int i = 1; i <= 2; i++) lab.awaitSubnetEnv(lab.node(i), Duration.ofSeconds(60));
        lab.awaitConverged(Duration.ofSeconds(30), lab.nodes().subList(0, 2));
    }

    private static Process ping(LabCluster.Pod from, LabCluster.Pod to, int count) throws Exception {
        return new ProcessBuilder("ip", "netns", "exec", from.netns(), "ping", "-c", Integer.toString(count), "-i", "0.01", "-W",
                "1", "-q", to.ip().toString()).redirectErrorStream(true).start();
    }

    private static String lastLine(String log) {
        List<String> lines = log.strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    /** The node as a start could have changed it (device, subnet.env, firewall chain). */
    private static String footprint(LabCluster.Node n) {
        return "flannel.1=" + new IpReader(n.ns()).link("flannel.1").isPresent() + " subnet.env=" + Files.exists(n.subnetFile())
                + " FLANNEL-FWD=" + NetnsLab.run("ip", "netns", "exec", n.netns(), "iptables", "-S", "FLANNEL-FWD").stdout()
                .contains("-N FLANNEL-FWD");
    }

    /** Starts node 1's agent again while a pod on it pings one on node 2 at 100 Hz; none lost; its log since. */
    private String restartUnderPing(LabCluster.Node n1, LabCluster.Pod a, LabCluster.Pod b) throws Exception {
        Process ping = ping(a, b, 500);
        long from = Files.size(n1.log());
        lab.startAgent(n1);
        Probe.await("node 1 ready on the lease it holds", Duration.ofSeconds(30),
                () -> lab.log(n1).substring((int) from).contains("ready:"));
        String out = new String(ping.getInputStream().readAllBytes());
        ping.waitFor();
        assertTrue(out.contains(" 0% packet loss"), "a 100 Hz ping across the restart: " + out);
        return lab.log(n1).substring((int) from);
    }

    @Test
    void aReadOnlyLeaseDirectory() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-ro", 3, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        startTwoOfThree();
        LabCluster.Node n1 = lab.node(1);
        LabCluster.Node n3 = lab.node(3);
        LabCluster.Pod a = lab.addPod(n1, "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        Path own = lab.leaseDir().resolve("subnets").resolve(SubnetEnv.read(n1.subnetFile()).subnet().toKey());

        lab.stopAgent(n1);
        // node 1's lease runs out in two minutes, so its renewal is due at once (--subnet-lease-renew-margin 60)
        Files.setLastModifiedTime(own, FileTime.from(Instant.now().minus(Duration.ofHours(24)).plusSeconds(120)));
        readOnly = lab.leaseDir();
        NetnsLab.sh("mount", "--bind", readOnly.toString(), readOnly.toString());
        NetnsLab.sh("mount", "-o", "remount,bind,ro", readOnly.toString());

        String log = restartUnderPing(n1, a, b);
        assertTrue(log.contains("in lease directory " + lab.leaseDir() + ": Read-only file system; make the directory writable "
                + "for weftd"), log);
        assertTrue(log.contains("keeping lease"), log);
        assertFalse(log.contains(".tmp"), "no temporary file's name: " + log);

        // a node that never had a lease cannot start on it: one line, and nothing left behind
        String before = footprint(n3);
        Process p3 = lab.startAgent(n3);
        assertTrue(p3.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p3.exitValue());
        String line = lastLine(lab.log(n3));
        assertTrue(line.startsWith("weftd: cannot write lease 10.244."), line);
        assertTrue(line.endsWith(" in lease directory " + lab.leaseDir() + ": Read-only file system; make the directory "
                + "writable for weftd (and give its file system free space)"), line);
        assertEquals(before, footprint(n3), "node 3 as it was: no flannel.1, no subnet.env, no rules");
        // the same on the userspace datapath, whose TAP is persistent once its datapath runs: the failed start removes it
        Path userspace = lab.workDir().resolve("userspace.json");
        Files.writeString(userspace, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}");
        p3 = lab.startAgent(n3, userspace);
        assertTrue(p3.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p3.exitValue());
        assertTrue(lastLine(lab.log(n3)).startsWith("weftd: cannot write lease 10.244."), lab.log(n3));
        assertEquals(before, footprint(n3), "node 3 as it was, no TAP left behind");

        // writable again: node 1 renews on its next try
        // ip netns exec gave node 1's agent a mount namespace of its own, holding its copy of the read-only mount
        NetnsLab.sh("nsenter", "-t", Long.toString(lab.agent(n1).pid()), "-m", "umount", readOnly.toString());
        NetnsLab.sh("umount", readOnly.toString());
        readOnly = null;
        Probe.await("node 1 to renew its lease", Duration.ofSeconds(30),
                () -> Files.getLastModifiedTime(own).toInstant().isAfter(Instant.now().minusSeconds(60)));
        assertTrue(Probe.reachable(a, b));
    }

    @Test
    void anEtcdThatRefusesWrites() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-roe", 3, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        String ip = lab.addUnderlayService().toString();
        etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380);
        String ul = lab.underlayNetns();
        etcd.etcdctl(ul, "put", "/coreos.com/network/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        for (String cmd : List.of("user add root:rootpw", "user add weft:weftpw", "role add weft",
                "role grant-permission weft --prefix=true readwrite /coreos.com/network/", "user grant-role weft weft",
                "auth enable")) {
            etcd.etcdctl(ul, cmd.split(" "));
        }
        lab.useEtcd(etcd.url().toString());
        lab.agentArgs(List.of("--etcd-username", "weft", "--etcd-password", "weftpw"));
        startTwoOfThree();
        LabCluster.Node n1 = lab.node(1);
        LabCluster.Pod a = lab.addPod(n1, "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");
        String env = Files.readString(n1.subnetFile());

        // etcd now lets weftd's user read, not write
        etcd.etcdctl(ul, "--user", "root:rootpw", "role", "revoke-permission", "weft", "--prefix=true", "/coreos.com/network/");
        etcd.etcdctl(ul, "--user", "root:rootpw", "role", "grant-permission", "weft", "--prefix=true", "read", "/coreos.com/network/");

        lab.stopAgent(n1);
        String log = restartUnderPing(n1, a, b);
        assertTrue(log.contains("etcd refused to write lease") && log.contains("permission denied"), log);
        assertTrue(log.contains("keeping lease"), log);
        assertEquals(env, Files.readString(n1.subnetFile()), "same subnet");

        LabCluster.Node n3 = lab.node(3);
        String before = footprint(n3);
        Process p3 = lab.startAgent(n3);
        assertTrue(p3.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p3.exitValue());
        String line = lastLine(lab.log(n3));
        assertTrue(line.startsWith("weftd: etcd refused to write lease 10.244.") && line.contains("permission denied")
                && line.endsWith("give weftd's etcd user write access to /coreos.com/network/subnets/ (etcdctl role "
                + "grant-permission ROLE --prefix=true readwrite /coreos.com/network/subnets/)"), line);
        assertEquals(before, footprint(n3), "node 3 as it was");
        String keys = etcd.etcdctl(ul, "--user", "root:rootpw", "get", "--prefix", "--keys-only", "/coreos.com/network/subnets/");
        assertEquals(2, keys.lines().filter(l -> !l.isBlank()).count(), "no lease for node 3: " + keys);
    }

    @Test
    void aUserspaceNodeRestartsOnItsLeaseInAReadOnlyLeaseDirectory() throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-rou", 2, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        Path userspace = lab.workDir().resolve("userspace.json");
        Files.writeString(userspace, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}");
        LabCluster.Node u = lab.node(1);
        lab.startAgent(u, userspace);
        lab.startAgent(lab.node(2));
        lab.awaitSubnetEnv(u, Duration.ofSeconds(60));
        String env = Files.readString(u.subnetFile());
        lab.awaitConverged(Duration.ofSeconds(30));
        LabCluster.Pod a = lab.addPod(u, "a");
        LabCluster.Pod b = lab.addPod(lab.node(2), "b");

        lab.stopAgent(u); // its TAP stays, carrier off: this node carries nothing until it is back
        readOnly = lab.leaseDir();
        NetnsLab.sh("mount", "--bind", readOnly.toString(), readOnly.toString());
        NetnsLab.sh("mount", "-o", "remount,bind,ro", readOnly.toString());
        long from = Files.size(u.log());
        lab.startAgent(u, userspace);
        Probe.await("the userspace node forwarding again on the lease it holds", Duration.ofSeconds(30), () -> Probe.reachable(a, b));
        String log = lab.log(u).substring((int) from);
        assertTrue(log.contains("keeping lease"), log);
        assertEquals(env, Files.readString(u.subnetFile()), "same subnet");
        assertTrue(lab.agent(u).isAlive(), log);
    }

    /**
     * A WireGuard node's first start in a read-only lease directory: {@code flannel-wg} (and the wireguard-go that runs
     * the kernel datapath's device here, where the kernel has no WireGuard module) is made before the lease is
     * refused, and goes again with the failed start. Its key file stays: it is the node's identity for the next start.
     */
    @ParameterizedTest
    @ValueSource(strings = {"kernel", "userspace"})
    void aWireGuardFirstStartLeavesNoDevice(String datapath) throws Exception {
        NetnsLab.requireRoot();
        lab = new LabCluster("wt-rowg", 1, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Datapath\":\""
                + datapath + "\"}}");
        LabCluster.Node n = lab.node(1);
        Path key = n.dir().resolve("wgkey");
        lab.agentEnv(node -> Map.of("WIREGUARD_KEY_FILE", key.toString()));
        Files.createDirectories(lab.leaseDir().resolve("subnets"));
        readOnly = lab.leaseDir();
        NetnsLab.sh("mount", "--bind", readOnly.toString(), readOnly.toString());
        NetnsLab.sh("mount", "-o", "remount,bind,ro", readOnly.toString());

        Process p = lab.startAgent(n);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String log = lab.log(n);
        assertEquals(1, p.exitValue(), log);
        assertTrue(log.contains("wireguard backend: flannel-wg ("), "the start made the device before the store refused: " + log);
        assertTrue(lastLine(log).startsWith("weftd: cannot write lease 10.244."), log);
        assertTrue(new IpReader(n.ns()).link("flannel-wg").isEmpty(), "flannel-wg left behind: " + log);
        assertEquals("", NetnsLab.run("ip", "netns", "pids", n.netns()).stdout().strip(), "a process left in the node's namespace");
        assertTrue(Files.exists(key), "the key file stays");
    }
}
