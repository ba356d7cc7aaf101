package io.weft.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.lab.build.BuiltArtifact;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code weftd trace} between two healthy pods on two nodes, for each backend: every hop of both nodes (the source
 * pod's veth, cni0, the VTEP, the underlay; then the other node's in reverse) saw the probe's requests and replies,
 * small and full-size; the verdict is healthy and names no cause; {@code weftd status} on both nodes shows no problem.
 * The path printed is the one the seed notes draw: pod → veth → cni0 → flannel.1 → eth0 ══ VXLAN ══> eth0 → ...
 * Once more with the agents and commands run through the build's launcher, as on a node: the hops' captures load
 * libpcap from the launcher's library path, not from anything this test JVM set up.
 */
@Timeout(300)
class TraceHealthyTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            kernel VXLAN                 | {"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}                        | flannel.1 | false
            userspace VXLAN              | {"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","Datapath":"userspace"}} | flannel.1 | false
            host-gw                      | {"Network":"10.244.0.0/16","Backend":{"Type":"host-gw"}}                      |           | false
            kernel VXLAN, built launcher | {"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}                        | flannel.1 | true
            """)
    void everyHopSeesTheProbeBothWays(String name, String netConf, String vtep, boolean launcher) throws Exception {
        Path weftd = !launcher ? null : BuiltArtifact.find("agent", "weftd").orElseThrow(() -> new AssertionError(
                "agent/target/weftd is missing: build the agent module first (mvn -pl lab -am verify)")).toAbsolutePath();
        try (TraceLab t = new TraceLab("wtr-ok", netConf, "1s", List.of(), weftd)) {
            TraceLab.Run r = t.trace(1, t.a.ip().toString(), t.b.ip().toString());
            assertEquals(0, r.exit(), r.toString());
            JsonNode j = r.json();
            assertTrue(j.path("result").path("healthy").asBoolean(), r.toString());
            assertEquals(0, j.path("result").path("causes").size(), r.toString());
            List<String> path = new ArrayList<>();
            for (String part : List.of("source", "destination")) {
                for (JsonNode h : j.path(part).path("hops")) {
                    path.add(h.path("iface").asText());
                    JsonNode c = h.path("count");
                    assertTrue(c.path("fwd").asLong() >= 5, part + " " + h.path("iface").asText() + " requests: " + r);
                    assertTrue(c.path("rev").asLong() >= 5, part + " " + h.path("iface").asText() + " replies: " + r);
                    assertEquals(2, c.path("fwdBig").asLong(), "full-size requests on " + h.path("iface").asText() + ": " + r);
                }
            }
            List<String> want = new ArrayList<>(List.of("vethpa", "cni0"));
            if (vtep != null) want.add(vtep);
            want.add("eth0");
            want.add("eth0");
            if (vtep != null) want.add(vtep);
            want.addAll(List.of("cni0", "vethpb"));
            assertEquals(want, path, r.toString());
            JsonNode probe = j.path("source").path("probe");
            assertEquals(3, probe.path("received").asInt(), r.toString());
            assertEquals(2, probe.path("bigReceived").asInt(), r.toString());

            // the same trace as text: the path drawn as the seed notes draw it
            TraceLab.Run text = t.weftd(1, List.of("trace", t.a.ip().toString(), t.b.ip().toString(), "--agent",
                    t.lab.debugSocket(t.lab.node(1)).toString(), "--cert", t.pki.file("client.pem").toString(), "--key",
                    t.pki.file("client.key").toString(), "--cacert", t.pki.file("ca.pem").toString()));
            assertEquals(0, text.exit(), text.toString());
            String drawn = "pod " + t.a.ip() + " → vethpa → cni0 → " + (vtep != null ? vtep + " → " : "") + "eth0 ══ "
                    + (vtep != null ? "VXLAN UDP 8472" : "IP") + " ══> eth0 → " + (vtep != null ? vtep + " → " : "")
                    + "cni0 → vethpb → pod " + t.b.ip();
            assertTrue(text.out().contains(drawn), "drawn as " + drawn + ":\n" + text.out());
            assertTrue(text.out().contains("verdict    healthy"), text.out());

            for (int i = 1; i <= 2; i++) assertEquals("", t.problems(i), "status of node " + i);
        }
    }
}
