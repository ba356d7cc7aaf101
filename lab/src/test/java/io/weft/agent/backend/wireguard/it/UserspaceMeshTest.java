package io.weft.agent.backend.wireguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.lease.LeaseRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three weft userspace WireGuard nodes: a full mesh of pods; an agent restart keeps the key and traffic comes back
 * (the time it takes is printed: the new agent handshakes with every peer as it starts); a node that gets a new key
 * is re-keyed by the others from its lease; a node that leaves is removed as a peer. And a node with another PSK gets
 * no traffic through, its refusals counted.
 */
@Timeout(400)
class UserspaceMeshTest {
    static final String BACKEND = "{\"Type\":\"wireguard\",\"Datapath\":\"userspace\"}";

    private static String publicKey(WgLab w, SubnetEnv env) throws Exception {
        return LeaseRecord.parse(Files.readString(w.lab.leaseDir().resolve("subnets").resolve(env.subnet().toKey()))).publicKey();
    }

    private static void allPairs(List<LabCluster.Pod> pods) throws Exception {
        for (LabCluster.Pod a : pods) {
            for (LabCluster.Pod b : pods) {
                if (a == b) continue;
                WgLab.await(a.ip() + " -> " + b.ip(), Duration.ofSeconds(30), () -> WgLab.ping(a, b.ip().toString(), 1));
            }
        }
    }

    @Test
    void meshRestartKeyChangeAndDeparture() throws Exception {
        try (WgLab w = new WgLab("wgm", 3, BACKEND)) {
            List<SubnetEnv> envs = new ArrayList<>();
            for (int i = 1; i <= 3; i++) w.start(w.node(i));
            for (int i = 1; i <= 3; i++) envs.add(w.awaitReady(w.node(i)));
            List<LabCluster.Pod> pods = new ArrayList<>();
            for (int i = 1; i <= 3; i++) pods.add(w.lab.addPod(w.node(i), "a"));
            allPairs(pods);
            WgLab.tcp(pods.get(0), pods.get(2), 5401, 16L << 20);

            // restart node 2: same key file, same public key, traffic back
            LabCluster.Node n2 = w.node(2);
            String key2 = publicKey(w, envs.get(1));
            assertEquals(143, w.stop(n2), "weftd exits on SIGTERM (128 + 15)");
            long t0 = System.nanoTime();
            w.start(n2);
            WgLab.await("pod 1 reaches pod 2 after node 2's restart", Duration.ofSeconds(30),
                    () -> WgLab.sh("ip", "netns", "exec", pods.get(0).netns(), "ping", "-c", "1", "-W", "0.2",
                            pods.get(1).ip().toString()).exitCode() == 0);
            System.out.printf("node 2 restart: traffic back %.2f s after the new agent was started (JVM start included)%n",
                    (System.nanoTime() - t0) / 1e9);
            assertEquals(key2, publicKey(w, envs.get(1)), "the key file kept the key");
            allPairs(pods);

            // node 3 gets a new key: its lease carries it, the others re-key
            LabCluster.Node n3 = w.node(3);
            String oldKey3 = publicKey(w, envs.get(2));
            assertEquals(143, w.stop(n3), "weftd exits on SIGTERM (128 + 15)");
            Files.delete(WgLab.keyFile(n3));
            w.start(n3);
            WgLab.await("node 3's new key in its lease", Duration.ofSeconds(30), () -> {
                try {
                    return !oldKey3.equals(publicKey(w, envs.get(2)));
                } catch (Exception e) {
                    return false;
                }
            });
            allPairs(pods);

            // node 3 leaves: its lease goes, the others drop it as a peer
            assertEquals(143, w.stop(n3), "weftd exits on SIGTERM (128 + 15)");
            Files.delete(w.lab.leaseDir().resolve("subnets").resolve(envs.get(2).subnet().toKey()));
            for (int i = 1; i <= 2; i++) {
                LabCluster.Node n = w.node(i);
                WgLab.await("node " + i + " drops node 3", Duration.ofSeconds(15),
                        () -> metric(n, "weft_wireguard_peers{device=\"flannel-wg\"}") == 1);
            }
            assertTrue(WgLab.ping(pods.get(0), pods.get(1).ip().toString(), 2), "the rest still talk");
        }
    }

    @Test
    void aNodeWithAnotherPskGetsNoTrafficThroughAndItIsCounted() throws Exception {
        String pskA = "WCAtL5/w8/hTNMM8zGzYK6lL+LOt+VxPEIvZFyqy+1I=";
        String pskB = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";
        try (WgLab w = new WgLab("wgp", 2, "{\"Type\":\"wireguard\",\"Datapath\":\"userspace\",\"PSK\":\"" + pskA + "\"}")) {
            Path other = w.lab.workDir().resolve("other-psk.json");
            Files.writeString(other, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"Datapath\":\"userspace\","
                    + "\"PSK\":\"" + pskB + "\"}}");
            w.start(w.node(1));
            w.start(w.node(2), other);
            w.awaitReady(w.node(1));
            w.awaitReady(w.node(2));
            LabCluster.Pod a = w.lab.addPod(w.node(1), "a");
            LabCluster.Pod b = w.lab.addPod(w.node(2), "a");
            assertFalse(WgLab.ping(a, b.ip().toString(), 3), "no traffic between different PSKs");
            String peer1 = "weft_wireguard_drops_total{device=\"flannel-wg\",peer=\"" + w.node(2).ip() + "\",reason=\"decrypt\"}";
            WgLab.await("node 1 counted node 2's responses that do not authenticate", Duration.ofSeconds(20),
                    () -> metric(w.node(1), peer1) > 0);
            assertEquals(0, metric(w.node(1), "weft_wireguard_handshakes_total{device=\"flannel-wg\",peer=\"" + w.node(2).ip() + "\"}"));
            assertNotEquals(-1, metric(w.node(2), "weft_wireguard_handshakes_total{device=\"flannel-wg\",peer=\"" + w.node(1).ip() + "\"}"));
            assertFalse(WgLab.metrics(w.node(1)).contains(pskA), "the PSK is not on /metrics");
        }
    }

    static long metric(LabCluster.Node n, String line) {
        try {
            return WgLab.metric(WgLab.metrics(n), line);
        } catch (Exception e) {
            return -1;
        }
    }
}
