package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.core.iproute.IpRunner;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code weftd status} and {@code weftd trace} on two nodes of the wireguard backend on weft's own datapath (the
 * machine has no wireguard module): status shows the device with its public key and each peer with its key, whether
 * the device holds it and its counters, and names a firewall rule that drops the WireGuard port; trace says in one
 * line that it does not draw WireGuard paths yet, instead of drawing a VXLAN path that is not there.
 */
@Timeout(300)
class WireGuardStatusAndTraceTest {

    @Test
    void statusShowsThePeersWithTheirKeysAndTraceSaysWhatItCannotDo() throws Exception {
        try (TraceLab t = new TraceLab("wtr-wg", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\","
                + "\"Datapath\":\"userspace\"}}", "1s", List.of())) {
            String a = t.a.ip().toString();
            String b = t.b.ip().toString();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!ping(t.a.netns(), b)) assertTrue(System.nanoTime() < deadline, "pod a reaches pod b within 30 s");

            TraceLab.Run s1 = t.status(1);
            assertEquals(0, s1.exit(), s1.toString());
            JsonNode backend = s1.json().path("backend");
            assertEquals("wireguard", backend.path("type").asText(), s1.out());
            assertEquals("userspace", backend.path("datapath").asText(), s1.out());
            assertEquals("flannel-wg", backend.path("device").asText(), s1.out());
            assertTrue(backend.path("present").asBoolean(), s1.out());
            assertEquals(51820, backend.path("port").asInt(), s1.out());
            String key2 = keyOf(t.status(2).json().path("backend").path("features").asText());
            JsonNode peer = s1.json().path("peers").get(0);
            assertEquals(key2, peer.path("publicKey").asText(), "node 1 shows node 2's key: " + s1.out());
            JsonNode entry = peer.path("entries").get(0);
            assertEquals("wireguard peer", entry.path("kind").asText(), s1.out());
            assertEquals("peer " + key2 + " endpoint " + t.lab.node(2).ip() + ":51820 allowed-ips " + peer.path("subnet").asText(),
                    entry.path("want").asText(), s1.out());
            assertTrue(entry.path("present").asBoolean(), s1.out());
            assertTrue(peer.path("counters").path("txPackets").asLong() >= 1, "the ping counted: " + s1.out());
            assertTrue(peer.path("counters").path("rxPackets").asLong() >= 1, "the reply counted: " + s1.out());
            String text = t.weftd(1, List.of("status", "--agent", t.lab.debugSocket(t.lab.node(1)).toString())).out();
            assertTrue(text.contains(" key " + key2 + " wireguard"), text);

            t.sh(2, "iptables", "-I", "INPUT", "-p", "udp", "--dport", "51820", "-j", "DROP");
            assertTrue(t.problems(2).contains("a firewall rule drops the WireGuard port: iptables -A INPUT -p udp -m udp"
                    + " --dport 51820 -j DROP"), t.status(2).out());
            t.sh(2, "iptables", "-D", "INPUT", "-p", "udp", "--dport", "51820", "-j", "DROP");
            assertEquals("", t.problems(2), t.status(2).out());

            TraceLab.Run r = t.trace(1, a, b);
            assertEquals(2, r.exit(), r.toString());
            assertEquals("weftd trace: this node runs the wireguard backend (flannel-wg, userspace datapath): weftd trace"
                    + " does not draw WireGuard paths yet; weftd status shows each peer with its key, whether the device"
                    + " holds it and its counters, and tcpdump -i flannel-wg (or weftd capture) shows the pods' packets\n",
                    r.err(), r.toString());
        }
    }

    private static String keyOf(String features) {
        int at = features.indexOf("public key ");
        assertTrue(at >= 0, features);
        return features.substring(at + "public key ".length(), at + "public key ".length() + 44);
    }

    private static boolean ping(String netns, String to) {
        return IpRunner.run(List.of("ip", "netns", "exec", netns, "ping", "-c", "1", "-W", "1", to), null).exitCode() == 0;
    }
}
