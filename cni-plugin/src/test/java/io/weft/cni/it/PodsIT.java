package io.weft.cni.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.testing.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Pods made by the plugin talk to each other; parallel ADDs and DELs keep IPAM exact; the pool runs out cleanly. */
class PodsIT {

    @SuppressWarnings("unchecked")
    static String ipOf(Map<String, Object> result) {
        String a = (String) ((List<Map<String, Object>>) result.get("ips")).getFirst().get("address");
        return a.substring(0, a.indexOf('/'));
    }

    @Test
    void twoPodsReachEachOtherAndTheGateway() {
        try (Node n = new Node("cnipods")) {
            String a = n.pod("a");
            String b = n.pod("b");
            String ipA = ipOf(n.run.weft("ADD", "pod-a", a, "eth0", n.conf("1.1.0")).ok());
            String ipB = ipOf(n.run.weft("ADD", "pod-b", b, "eth0", n.conf("1.1.0")).ok());
            NetnsLab.exec(a, "ping", "-c", "2", "-W", "2", ipB);
            NetnsLab.exec(b, "ping", "-c", "2", "-W", "2", ipA);
            NetnsLab.exec(a, "ping", "-c", "1", "-W", "2", "10.244.1.1");
            n.sh("ping", "-c", "1", "-W", "2", ipA); // the node reaches its pods through cni0
            n.run.weft("DEL", "pod-a", a, "eth0", n.conf("1.1.0")).ok();
            assertFalse(NetnsLab.run("ip", "netns", "exec", b, "ping", "-c", "1", "-W", "1", ipA).exitCode() == 0,
                    "after DEL the pod is unreachable");
            n.run.weft("DEL", "pod-b", b, "eth0", n.conf("1.1.0")).ok();
        }
    }

    @Test
    void twentyParallelAddsGetTwentyDistinctAddressesAndTwentyDelsFreeThem() throws Exception {
        try (Node n = new Node("cnipar")) {
            int count = 20;
            List<String> pods = new ArrayList<>();
            for (int i = 0; i < count; i++) pods.add(n.pod("p" + i));
            List<Map<String, Object>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(count)) {
                List<Future<Map<String, Object>>> fs = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int k = i;
                    fs.add(pool.submit(() -> n.run.weft("ADD", "par-" + k, pods.get(k), "eth0", n.conf("1.0.0")).ok()));
                }
                for (Future<Map<String, Object>> f : fs) results.add(f.get());
            }
            Set<String> ips = new HashSet<>();
            for (Map<String, Object> r : results) ips.add(ipOf(r));
            assertEquals(count, ips.size(), "distinct addresses: " + ips);
            long files = Files.list(n.ipamDir("weftnet")).filter(p -> Character.isDigit(p.getFileName().toString().charAt(0))).count();
            assertEquals(count, files);
            assertEquals(count, n.sh("ip", "-o", "link", "show", "master", "cni0").lines().count(), "one bridge port per pod");
            NetnsLab.exec(pods.get(0), "ping", "-c", "1", "-W", "2", ipOf(results.get(count - 1)));

            try (ExecutorService pool = Executors.newFixedThreadPool(count)) {
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int k = i;
                    fs.add(pool.submit(() -> n.run.weft("DEL", "par-" + k, pods.get(k), "eth0", n.conf("1.0.0")).ok()));
                }
                for (Future<?> f : fs) f.get();
            }
            assertEquals(List.of("last_reserved_ip.0", "lock"),
                    Files.list(n.ipamDir("weftnet")).map(p -> p.getFileName().toString()).sorted().toList());
            assertEquals("", n.sh("ip", "-o", "link", "show", "master", "cni0"), "no bridge port left");
        }
    }

    @Test
    void anExhaustedPoolIsAClearErrorAndFreesNothingItDidNotTake() throws Exception {
        // a /29: .0 network, .1 gateway, .7 broadcast, so five pod addresses .2 to .6
        try (Node n = new Node("cniexh", "10.244.0.0/16", "10.244.1.1/29", 1450)) {
            for (int i = 0; i < 5; i++) n.run.weft("ADD", "full-" + i, n.pod("p" + i), "eth0", n.conf("1.0.0")).ok();
            String sixth = n.pod("p5");
            Map<String, Object> e = n.run.weft("ADD", "full-5", sixth, "eth0", n.conf("1.0.0")).error(999);
            String msg = (String) e.get("msg");
            assertTrue(msg.contains("no IP addresses available in 10.244.1.0/29"), msg);
            assertTrue(msg.contains("10.244.1.2-10.244.1.6"), msg);
            assertFalse(NetnsLab.exec(sixth, "ip", "link").contains("eth0"), "nothing plumbed");
            assertEquals(5, Files.list(n.ipamDir("weftnet")).filter(p -> p.getFileName().toString().startsWith("10.")).count());
            n.run.weft("DEL", "full-2", null, "eth0", n.conf("1.0.0")).ok();
            assertEquals("10.244.1.4", ipOf(n.run.weft("ADD", "full-5", sixth, "eth0", n.conf("1.0.0")).ok()),
                    "the freed address is handed out again");
        }
    }

    /** Reads an IPAM file the way the tests compare them. */
    static String fileOf(Path dir, String ip) throws Exception {
        return Files.readString(dir.resolve(ip));
    }
}
