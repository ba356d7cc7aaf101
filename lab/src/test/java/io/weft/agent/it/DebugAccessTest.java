package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.netns.NetnsLab;
import io.weft.lab.pcap.PcapLib;
import io.weft.agent.debug.TestPki;
import io.weft.lab.cluster.LabCluster;
import io.weft.core.iproute.IpRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who can see a node's traffic, tried from another node as an attacker on the network would: weftd runs as the
 * DaemonSet runs it (health port on every address) on the userspace datapath. The capture is refused on the health
 * port and over TLS without a certificate from the operator's CA, and nothing of a refused request takes effect;
 * it works on the node itself through the local socket, and from elsewhere with a valid client certificate.
 */
@Timeout(180)
class DebugAccessTest {
    static final String NET_CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}";

    @Test
    void theDebugApiIsLocalUnlessTheCallerHasACertificate() throws Exception {
        NetnsLab.requireRoot();
        try (TestPki pki = new TestPki(); LabCluster lab = new LabCluster("wt-dbg", 2, NET_CONF)) {
            lab.agentArgs(List.of("--healthz-ip", "0.0.0.0", "--healthz-port", "10267", "--debug-listen", "0.0.0.0:10268",
                    "--debug-tls-cert-file", pki.file("server.pem").toString(), "--debug-tls-key-file",
                    pki.file("server.key").toString(), "--debug-client-ca-file", pki.file("ca.pem").toString()));
            for (LabCluster.Node n : lab.nodes()) lab.startAgent(n);
            lab.awaitConverged(Duration.ofSeconds(60));
            LabCluster.Node attacker = lab.node(1);
            LabCluster.Node target = lab.node(2);
            LabCluster.Pod a = lab.addPod(attacker, "pa");
            LabCluster.Pod b = lab.addPod(target, "pb");
            String targetIp = target.ip().toString();

            // the health port answers probes and scrapes from anywhere, but shows no traffic
            assertTrue(get(attacker.netns(), targetIp, 10267, "/metrics").startsWith("HTTP/1.1 200"));
            String onHealthPort = get(attacker.netns(), targetIp, 10267, "/debug/capture?seconds=2");
            assertTrue(onHealthPort.startsWith("HTTP/1.1 403"), onHealthPort);
            assertFalse(onHealthPort.contains("\u00d4\u00c3\u00b2\u00a1"), "no pcap bytes");

            // TLS without a client certificate, and with one from a CA the operator did not give: refused
            String noCert = IpRunner.run(List.of("ip", "netns", "exec", attacker.netns(), "sh", "-c",
                    "printf 'GET /debug/capture?seconds=2 HTTP/1.1\\r\\n\\r\\n' | timeout 10 openssl s_client -quiet -connect "
                            + targetIp + ":10268 -CAfile " + pki.file("ca.pem") + " 2>&1"), null).stdout();
            assertFalse(noCert.contains("HTTP/1.1 200"), noCert);
            Path rogueOut = pki.dir.resolve("rogue.pcap");
            Process rogue = capture(lab, attacker, "https://" + targetIp + ":10268", pki, "rogue", rogueOut, "2s");
            assertTrue(rogue.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, rogue.exitValue(), "a certificate from another CA does not reach the agent");
            assertFalse(Files.exists(rogueOut));

            // nothing of the refused requests took effect: no capture ran, the refusals are counted
            Probe.await("the refused handshakes to be counted", Duration.ofSeconds(10), () ->
                    get(target.netns(), "127.0.0.1", 10267, "/metrics").contains(
                            "weft_debug_requests_total{listener=\"tls\",outcome=\"denied\"} 2"));
            assertFalse(lab.log(target).contains("capture started"), lab.log(target));

            // with a certificate from the operator's CA, from another node: the pods' pings are in the capture
            Path remoteOut = pki.dir.resolve("remote.pcap");
            Process remote = capture(lab, attacker, "https://" + targetIp + ":10268", pki, "client", remoteOut, "4s");
            Probe.await("the remote capture to start", Duration.ofSeconds(20),
                    () -> lab.log(target).contains("capture started for CN=operator"));
            assertEquals(0, Probe.ping(a, b, 3).exitCode());
            assertTrue(remote.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, remote.exitValue(), output(remote));
            int[] echoes = PcapLib.icmpEchoes(remoteOut);
            assertEquals(3, echoes[0], "echo requests through the target's datapath");
            assertEquals(3, echoes[1], "echo replies");

            // on the node itself, through its socket, as root: the same capture
            Path localOut = pki.dir.resolve("local.pcap");
            Process local = capture(lab, target, lab.debugSocket(target).toString(), null, null, localOut, "3s");
            Probe.await("the local capture to start", Duration.ofSeconds(20),
                    () -> lab.log(target).contains("capture started for uid root"));
            assertEquals(0, Probe.ping(b, a, 2).exitCode());
            assertTrue(local.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, local.exitValue(), output(local));
            assertEquals(2, PcapLib.icmpEchoes(localOut)[0]);
        }
    }

    /** {@code weftd capture} run in {@code n}'s namespace; {@code cert}: the PKI's client certificate to present. */
    private static Process capture(LabCluster lab, LabCluster.Node n, String agent, TestPki pki, String cert, Path out,
                                   String duration) throws Exception {
        List<String> args = new ArrayList<>(List.of("capture", "--agent", agent, "--duration", duration, "--out", out.toString()));
        if (cert != null) {
            args.addAll(List.of("--cert", pki.file(cert + ".pem").toString(), "--key", pki.file(cert + ".key").toString(),
                    "--cacert", pki.file("ca.pem").toString()));
        }
        return new ProcessBuilder(lab.weftdCommand(n, "capture.jsa", args)).redirectErrorStream(true).start();
    }

    private static String output(Process p) throws Exception {
        return new String(p.getInputStream().readAllBytes());
    }

    /** An HTTP GET from inside a namespace, with bash's /dev/tcp so the test needs no curl. */
    static String get(String netns, String ip, int port, String path) {
        return IpRunner.run(List.of("ip", "netns", "exec", netns, "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + port
                + " && printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' >&3 && timeout 10 cat <&3"), null).stdout();
    }
}
