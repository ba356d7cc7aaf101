package io.weft.agent.backend.wireguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.iproute.WgTool;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code "Datapath": "kernel"} on a kernel without the wireguard module (this machine): weftd runs flannel-wg with
 * wireguard-go, as wg-quick would, configures it through wg as flannel does, and carries pod traffic to a weft
 * userspace node; a restart adopts the running device without losing a ping; and where wireguard-go is missing too,
 * weftd stops with one line that names the userspace datapath, leaving the node as it was.
 */
@Timeout(300)
class KernelDatapathTest {

    @Test
    void kernelDatapathOnWireguardGoTalksToAUserspaceNode() throws Exception {
        try (WgLab w = new WgLab("wgk", 2, "{\"Type\":\"wireguard\",\"PersistentKeepaliveInterval\":25}")) {
            LabCluster.Node kernel = w.node(1);
            LabCluster.Node user = w.node(2);
            Path userConf = w.lab.workDir().resolve("userspace.json");
            Files.writeString(userConf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\","
                    + "\"PersistentKeepaliveInterval\":25,\"Datapath\":\"userspace\"}}");
            w.start(kernel);
            SubnetEnv ek = w.awaitReady(kernel);
            w.start(user, userConf);
            SubnetEnv eu = w.awaitReady(user);

            LinkInfo dev = new IpReader(kernel.ns()).link("flannel-wg").orElseThrow();
            assertEquals("tun", dev.kind(), "wireguard-go's TUN, the kernel having no wireguard module");
            assertEquals(1420, dev.mtu());
            assertTrue(new IpReader(kernel.ns()).routes().contains(RouteEntry.direct(Ipv4Cidr.parse("10.244.0.0/16"), "flannel-wg")));
            LeaseRecord userLease = LeaseRecord.parse(Files.readString(w.lab.leaseDir().resolve("subnets").resolve(eu.subnet().toKey())));
            WgLab.await("the userspace node as a peer", Duration.ofSeconds(10),
                    () -> new WgTool(kernel.ns()).show("flannel-wg").map(d -> d.peers().size() == 1).orElse(false));
            WgTool.Device d = new WgTool(kernel.ns()).show("flannel-wg").orElseThrow();
            assertEquals(51820, d.listenPort());
            WgTool.PeerState peer = d.peers().get(0);
            assertEquals(userLease.publicKey(), peer.publicKey());
            assertEquals(user.ip() + ":51820", peer.endpoint());
            assertEquals(List.of(eu.subnet()), peer.allowedIps(), "allowed IPs: the peer's subnet, as flannel's addPeer");
            assertEquals(25, peer.persistentKeepalive());

            LabCluster.Pod pk = w.lab.addPod(kernel, "a");
            LabCluster.Pod pu = w.lab.addPod(user, "a");
            WgLab.await("kernel-datapath pod reaches userspace pod", Duration.ofSeconds(30), () -> WgLab.ping(pk, pu.ip().toString(), 1));
            assertTrue(WgLab.ping(pu, pk.ip().toString(), 3));
            WgLab.tcp(pk, pu, 5401, 32L << 20);
            WgLab.tcp(pu, pk, 5402, 32L << 20);

            // a restart adopts the device: wireguard-go keeps running, no ping is lost
            Process ping = new ProcessBuilder("ip", "netns", "exec", pu.netns(), "ping", "-c", "40", "-i", "0.1", "-W", "1",
                    pk.ip().toString()).redirectErrorStream(true).start();
            Thread.sleep(300);
            assertEquals(143, w.stop(kernel), "weftd exits on SIGTERM (128 + 15)");
            assertTrue(new IpReader(kernel.ns()).link("flannel-wg").isPresent(), "the device stays while weftd is down");
            w.start(kernel);
            String out = new String(ping.getInputStream().readAllBytes());
            ping.waitFor(20, TimeUnit.SECONDS);
            assertTrue(out.contains(" 0% packet loss"), out);
            WgLab.await("the restarted agent logged the adoption", Duration.ofSeconds(30),
                    () -> w.lab.log(kernel).contains("adopting the wireguard-go WireGuard device flannel-wg"));
            assertEquals(ek.subnet(), w.awaitReady(kernel).subnet());
        }
    }

    @Test
    void withoutTheModuleAndWithoutWireguardGoTheErrorNamesTheUserspaceDatapath() throws Exception {
        try (WgLab w = new WgLab("wgn", 1, "{\"Type\":\"wireguard\"}")) {
            LabCluster.Node n = w.node(1);
            Path bin = w.lab.workDir().resolve("bin");
            Files.createDirectories(bin);
            Files.createSymbolicLink(bin.resolve("wg"), Path.of("/usr/bin/wg")); // wg, but no wireguard-go
            ProcessBuilder pb = new ProcessBuilder(w.lab.agentCommand(n));
            pb.environment().put("PATH", bin + ":/usr/sbin:/sbin");
            pb.environment().put("WIREGUARD_KEY_FILE", WgLab.keyFile(n).toString());
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), out);
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.contains("wireguard-go is not installed") && last.contains("\"userspace\""), out);
            assertFalse(new IpReader(n.ns()).link("flannel-wg").isPresent(), "nothing left behind");
            assertFalse(Files.exists(n.subnetFile()));
        }
    }

    /**
     * A start that fails after it made flannel-wg (a key file that holds no key, read once the device exists) removes
     * the device again, wireguard-go's as well as weft's own TUN, and the wireguard-go it started ends; a device an
     * earlier run left, which the failed start adopted, stays.
     */
    @Test
    void aStartThatFailsAfterMakingFlannelWgLeavesTheNodeAsItWas() throws Exception {
        try (WgLab w = new WgLab("wgf", 1, "{\"Type\":\"wireguard\"}")) {
            LabCluster.Node n = w.node(1);
            Path userConf = w.lab.workDir().resolve("userspace.json");
            Files.writeString(userConf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Datapath\":\"userspace\"}}");
            Files.writeString(WgLab.keyFile(n), "not a key\n");
            for (Path conf : List.of(w.lab.netConf(), userConf)) {
                String out = failedStart(w, n, conf);
                assertTrue(lastLine(out).contains("does not hold a key"), out);
                assertFalse(new IpReader(n.ns()).link("flannel-wg").isPresent(), "flannel-wg removed (" + conf.getFileName() + "):\n" + out);
                assertEquals("", wireguardGo(n), "no wireguard-go left running");
                assertFalse(Files.exists(n.subnetFile()));
                assertEquals(0, w.lab.leaseDir().resolve("subnets").toFile().list() == null ? 0
                        : w.lab.leaseDir().resolve("subnets").toFile().list().length, "no lease taken");
            }

            // a device from an earlier run is adopted, not made: the failed start leaves it running
            Files.delete(WgLab.keyFile(n));
            w.start(n);
            w.awaitReady(n);
            assertEquals(143, w.stop(n));
            Files.writeString(WgLab.keyFile(n), "not a key\n");
            String out = failedStart(w, n, w.lab.netConf());
            assertTrue(lastLine(out).contains("does not hold a key"), out);
            assertTrue(new IpReader(n.ns()).link("flannel-wg").isPresent(), "the adopted device stays:\n" + out);
            assertFalse(wireguardGo(n).isEmpty(), "its wireguard-go still runs");
        }
    }

    private static String failedStart(WgLab w, LabCluster.Node n, Path conf) throws Exception {
        Process p = w.start(n, conf);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "weftd gives up");
        assertEquals(1, p.exitValue(), w.lab.log(n));
        return w.lab.log(n);
    }

    private static String lastLine(String out) {
        return out.strip().lines().reduce((a, b) -> b).orElse("");
    }

    /** The wireguard-go processes in the node's namespace (their pids), "" when none runs. */
    private static String wireguardGo(LabCluster.Node n) {
        StringBuilder sb = new StringBuilder();
        for (String pid : WgLab.sh("ip", "netns", "pids", n.netns()).stdout().strip().split("\\s+")) {
            if (pid.isEmpty()) continue;
            try {
                String comm = Files.readString(Path.of("/proc", pid, "comm")).strip();
                if (comm.startsWith("wireguard-go")) sb.append(pid).append(' ');
            } catch (java.io.IOException gone) {
                // ended meanwhile
            }
        }
        return sb.toString().strip();
    }
}
