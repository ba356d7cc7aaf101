package io.weft.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.cluster.LabCluster;
import io.weft.lab.etcd.LabEtcd;
import io.weft.core.iproute.IpRunner;
import io.weft.lab.netns.NetnsLab;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The etcd password an agent holds never shows: not in its debug log (-v), not in /metrics, not in the error line of
 * a refused login, not when it is given in an endpoint URL (refused, so it cannot leak from there either). A real etcd
 * with authentication on, in the lab's underlay namespace.
 */
@Timeout(180)
class SecretsTest {
    static final String PASSWORD = "s3cret-etcd-pw-7731";
    static final String WRONG = "wrong-pw-99413";

    @Test
    void theEtcdPasswordNeverShows() throws Exception {
        NetnsLab.requireRoot();
        String net = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
        try (LabCluster lab = new LabCluster("wt-sec", 1, net)) {
            String ip = lab.addUnderlayService().toString();
            try (LabEtcd etcd = LabEtcd.start(lab.underlayNetns(), ip, 2379, 2380)) {
                String ep = etcd.url().toString();
                for (String cmd : List.of("put /coreos.com/network/config " + net, "user add root:rootpw",
                        "user add weft:" + PASSWORD, "role add weft",
                        "role grant-permission weft --prefix=true readwrite /coreos.com/network/", "user grant-role weft weft",
                        "auth enable")) {
                    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", lab.underlayNetns(), "etcdctl", "--endpoints", ep));
                    c.addAll(List.of(cmd.split(" ", cmd.startsWith("put") ? 3 : -1)));
                    IpRunner.Result r = IpRunner.run(c, null);
                    assertEquals(0, r.exitCode(), cmd + ": " + r.stderr());
                }
                lab.useEtcd(ep);
                LabCluster.Node n = lab.node(1);

                String refused = run(lab.agentCommand(n), List.of("-v", "--etcd-username", "weft", "--etcd-password", WRONG));
                assertTrue(refused.contains("etcd refused user weft"), refused);
                assertFalse(refused.contains(WRONG), refused);

                List<String> withUrl = lab.agentCommand(n).stream().map(a -> a.equals(ep) ? ep.replace("://", "://weft:" + WRONG + "@") : a).toList();
                String inUrl = run(withUrl, List.of("-v"));
                assertTrue(inUrl.contains("a URL with credentials in it is refused"), inUrl);
                assertFalse(inUrl.contains(WRONG), inUrl);

                // logged in with the password from $ETCD_PASSWORD, serving /metrics, logging at debug level
                List<String> cmd = new ArrayList<>(lab.agentCommand(n));
                cmd.addAll(List.of("-v", "--etcd-username", "weft", "--healthz-ip", "127.0.0.1", "--healthz-port", "9797"));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile()));
                pb.environment().put("ETCD_PASSWORD", PASSWORD);
                Process agent = pb.start();
                try {
                    lab.awaitSubnetEnv(n, Duration.ofSeconds(60));
                    String metrics = LabCluster.get(n, 9797, "/metrics");
                    assertTrue(metrics.contains("weft_ready"), metrics);
                    assertFalse(metrics.contains(PASSWORD));
                } finally {
                    agent.destroy();
                    agent.waitFor(15, TimeUnit.SECONDS);
                }
                String log = Files.readString(n.log());
                assertTrue(log.contains("lease"), log);
                assertFalse(log.contains(PASSWORD), "the password is in the agent's log:\n" + log);
            }
        }
    }

    /** Runs weftd until it exits, which it must with 1; returns what it printed. */
    private static String run(List<String> agent, List<String> extra) throws Exception {
        List<String> cmd = new ArrayList<>(agent);
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        return out;
    }
}
