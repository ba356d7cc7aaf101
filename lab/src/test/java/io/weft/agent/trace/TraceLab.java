package io.weft.agent.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.debug.TestPki;
import io.weft.core.iproute.IpRunner;
import io.weft.lab.cluster.LabCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A two-node cluster as the trace tests use it: each agent serves its debug API on its socket and, with client
 * certificates from the test's CA, over TLS on {@code 172.31.0.i:10268}; one pod per node; {@code weftd trace} and
 * {@code weftd status} run as an operator runs them on a node (in its namespace, as root).
 */
final class TraceLab implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final TestPki pki;
    final LabCluster lab;
    final LabCluster.Pod a;
    final LabCluster.Pod b;

    /** What a weftd command printed and how it ended. */
    record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }

        /** The trace's causes, first first, as one text for assertions. */
        String causes() throws IOException {
            StringBuilder s = new StringBuilder();
            for (JsonNode c : json().path("result").path("causes")) s.append(c.path("text").asText()).append('\n');
            return s.toString();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /**
     * @param resync the agents' --resync-interval: long ("1h") where a test deletes kernel entries by hand, so that
     *               the agent does not put them back while trace and status look at the fault (its kernel watch is
     *               then off too)
     */
    TraceLab(String tag, String netConf, String resync, List<String> moreAgentArgs) throws Exception {
        this(tag, netConf, resync, moreAgentArgs, null);
    }

    /**
     * @param launcher a build's agent/target/weftd to run the agents and the weftd commands through, as a node does
     *                 (its JVM options and library path: libpcap is found from there); null: this JVM's classes
     */
    TraceLab(String tag, String netConf, String resync, List<String> moreAgentArgs, Path launcher) throws Exception {
        pki = new TestPki();
        LabCluster l = null;
        try {
            l = new LabCluster(tag, 2, netConf);
            if (launcher != null) l.agentLauncher(launcher);
            boolean wireguard = netConf.contains("wireguard");
            // each wireguard node keeps its private key in its own directory (not the machine's /run/flannel/wgkey)
            if (wireguard) l.agentEnv(n -> java.util.Map.of("WIREGUARD_KEY_FILE", n.dir().resolve("wgkey").toString()));
            l.resyncInterval(resync);
            List<String> args = new ArrayList<>(List.of("--debug-listen", "0.0.0.0:10268",
                    "--debug-tls-cert-file", pki.file("server.pem").toString(),
                    "--debug-tls-key-file", pki.file("server.key").toString(),
                    "--debug-client-ca-file", pki.file("ca.pem").toString()));
            if (resync.endsWith("h")) args.add("--kernel-watch=false");
            args.addAll(moreAgentArgs);
            l.agentArgs(args);
            for (LabCluster.Node n : l.nodes()) l.startAgent(n);
            if (wireguard) {
                // one route for the whole Network through flannel-wg: no per-subnet routes to wait for
                for (LabCluster.Node n : l.nodes()) l.awaitSubnetEnv(n, Duration.ofSeconds(60));
            } else {
                l.awaitConverged(Duration.ofSeconds(60));
            }
            lab = l;
            a = l.addPod(l.node(1), "pa");
            b = l.addPod(l.node(2), "pb");
        } catch (Exception | Error e) {
            if (l != null) l.close();
            pki.close();
            throw e;
        }
    }

    /**
     * {@code weftd trace SRC DST -o json} on node {@code i} with the operator's client certificate, capturing for 3 s
     * (not the default 5 s: a probe crosses two netns nodes in milliseconds, and the suite runs dozens of traces).
     */
    Run trace(int i, String src, String dst, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("trace", src, dst, "-o", "json", "--agent",
                lab.debugSocket(lab.node(i)).toString(), "--cert", pki.file("client.pem").toString(), "--key",
                pki.file("client.key").toString(), "--cacert", pki.file("ca.pem").toString()));
        if (!List.of(more).contains("--duration")) args.addAll(List.of("--duration", "3s"));
        args.addAll(List.of(more));
        return weftd(i, args);
    }

    /** {@code weftd status -o json} on node {@code i}. */
    Run status(int i) throws Exception {
        return weftd(i, List.of("status", "-o", "json", "--agent", lab.debugSocket(lab.node(i)).toString()));
    }

    /** The problems node {@code i}'s status lists, as one text. */
    String problems(int i) throws Exception {
        Run r = status(i);
        StringBuilder s = new StringBuilder();
        for (JsonNode p : r.json().path("problems")) s.append(p.asText()).append('\n');
        return s.toString();
    }

    /** Any weftd command in node {@code i}'s namespace. */
    Run weftd(int i, List<String> args) throws Exception {
        Process p = new ProcessBuilder(lab.weftdCommand(lab.node(i), "cli.jsa", args)).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("weftd " + args + " did not finish in 90 s");
        }
        return new Run(p.exitValue(), out, err.get());
    }

    /** Runs a command in node {@code i}'s namespace (a fault injected by hand, or its repair). */
    void sh(int i, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", lab.node(i).netns()));
        c.addAll(List.of(cmd));
        IpRunner.Result r = IpRunner.run(c, null);
        if (r.exitCode() != 0) throw new AssertionError(String.join(" ", cmd) + ": " + r.stderr());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        try {
            lab.close();
        } finally {
            pki.close();
        }
    }
}
