package io.weft.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.kube.MockApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The node image as the DaemonSet runs it: two Docker containers as nodes, each running the image's weftd with
 * --kube-subnet-mgr against an API server on the same (internal) Docker network, pods made by the image's own CNI
 * plugin through the CNI calling convention. The agents reach the API server over TLS with a kubeconfig and a
 * token, as on a real cluster. Node 1 uses the kernel VXLAN datapath, node 2 weft's userspace one,
 * so the two also prove they talk to each other: pings, and TCP both ways with a SHA-256 of the bytes compared, over
 * Docker's veths with their default offloads (the kernel node hands over partial checksums and whole TSO
 * superframes, which the userspace node must finish). The API server is fabric8's mock in CRUD mode, a stand-in: no
 * real kube-apiserver can be had here (ENVIRONMENT.md); it runs in a container of its own from the test classes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerNodesTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final String IMAGE = "weft:it";
    static final String NET = "weft-it-net";
    static final String KERNEL_CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    static final String USERSPACE_CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Datapath\":\"userspace\"}}";
    static final String POD_CONF = "{\"cniVersion\":\"1.0.0\",\"name\":\"cbr0\",\"type\":\"weft\","
            + "\"subnetFile\":\"/run/flannel/subnet.env\",\"bridge\":\"cni0\",\"isDefaultGateway\":true}";

    static Path work;
    static Process api;
    static MockApiServer.Connection apiServer;
    static String pod1;
    static String pod2;

    @BeforeAll
    static void start() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "these tests create network namespaces inside containers: run as root");
        Docker.require();
        Docker.removeAll();
        Docker.buildImage(ROOT, IMAGE);
        work = Files.createTempDirectory("weft-it-");
        Docker.run("network", "create", "--internal", "--label", Docker.LABEL, NET);
        startApiServer();
        api("node node1 10.244.5.0/24");
        api("node node2 10.244.9.0/24");
        startNode(1, KERNEL_CONF);
        startNode(2, USERSPACE_CONF);
    }

    @AfterAll
    static void stop() throws Exception {
        if (apiServer != null) apiServer.close();
        if (api != null) api.destroyForcibly();
        Docker.removeAll();
        if (work != null) {
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Mounts of this JVM's JDK and class path, read-only, so that a container can run the test classes. */
    static List<String> testClassMounts() {
        String javaHome = System.getProperty("java.home");
        List<String> m = new ArrayList<>(List.of("-v", javaHome + ":" + javaHome + ":ro"));
        for (String e : TEST_CP) m.addAll(List.of("-v", e + ":" + e + ":ro"));
        return m;
    }

    static final List<String> TEST_CP = List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator));

    /** The mock API server in a container on the nodes' network, run from this JVM's classpath and JDK (mounted). */
    static void startApiServer() throws IOException {
        String javaHome = System.getProperty("java.home");
        List<String> cmd = new ArrayList<>(List.of("docker", "run", "--rm", "-i", "--name", "weft-it-api", "--label", Docker.LABEL,
                "--network", NET, "--network-alias", "api"));
        cmd.addAll(testClassMounts());
        List<String> cp = TEST_CP;
        cmd.addAll(List.of("--entrypoint", javaHome + "/bin/java", IMAGE, "-Xmx256m", "-cp", String.join(":", cp),
                MockApiServer.class.getName(), "0.0.0.0", "6443", "https"));
        api = new ProcessBuilder(cmd).redirectError(work.resolve("api.err").toFile()).start();
        apiServer = new MockApiServer.Connection(api, () -> {
            try {
                return "its container's stderr:\n" + Files.readString(work.resolve("api.err"));
            } catch (IOException e) {
                return "";
            }
        });
    }

    static String api(String command) throws IOException {
        return apiServer.call(command);
    }

    /**
     * A node and its agent, as Kubernetes runs them: the node container holds the "host" network namespace (and
     * makes pods); the agent container joins it, as a hostNetwork DaemonSet pod does, and runs the image's
     * entrypoint (weftd) with the manifest's arguments and capabilities (NET_ADMIN, NET_RAW), /run/flannel shared
     * with the node like the manifest's hostPath. Restarting the agent container is then what kubelet does to the
     * DaemonSet's pod: the node and its pods stay.
     */
    static void startNode(int i, String netConf) throws IOException {
        Path conf = work.resolve("net-conf-" + i + ".json");
        Files.writeString(conf, netConf);
        Path runFlannel = Files.createDirectories(work.resolve("run-flannel-" + i));
        // TLS and a bearer token, as every real API server wants; the stand-in's certificate is self-signed.
        Path kubeconfig = work.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: it
                    cluster: {server: "https://api:6443", insecure-skip-tls-verify: true}
                users:
                  - name: weft
                    user: {token: weft-it-token}
                contexts:
                  - name: it
                    context: {cluster: it, user: weft}
                current-context: it
                """);
        // the test classes are mounted for the traffic tool that runs in the node's pods
        List<String> node = new ArrayList<>(List.of("run", "-d", "--name", node(i), "--hostname", "node" + i,
                "--label", Docker.LABEL, "--network", NET, "--cap-add", "NET_ADMIN", "--cap-add", "SYS_ADMIN",
                "--device", "/dev/net/tun", "--sysctl", "net.ipv4.ip_forward=1", "-v", runFlannel + ":/run/flannel"));
        node.addAll(testClassMounts());
        node.addAll(List.of("--entrypoint", "sleep", IMAGE, "infinity"));
        Docker.run(node.toArray(String[]::new));
        Docker.run("run", "-d", "--name", agent(i), "--label", Docker.LABEL, "--network", "container:" + node(i),
                "--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW", "--device", "/dev/net/tun",
                "-e", "NODE_NAME=node" + i, "-v", conf + ":/etc/kube-flannel/net-conf.json:ro", "-v", runFlannel + ":/run/flannel",
                "-v", kubeconfig + ":/etc/weft/kubeconfig:ro",
                IMAGE, "--kube-subnet-mgr", "--kubeconfig-file", "/etc/weft/kubeconfig", "--iface", "eth0", "--healthz-port", "10267");
    }

    static String node(int i) {
        return "weft-it-node" + i;
    }

    static String agent(int i) {
        return "weft-it-agent" + i;
    }

    static void await(String what, long seconds, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within " + seconds + " s\nagent1 log:\n" + Docker.tryRun("logs", agent(1)).stderr()
                        + "\nagent2 log:\n" + Docker.tryRun("logs", agent(2)).stderr());
            }
            Thread.sleep(250);
        }
    }

    static String subnetEnv(int i) {
        return Docker.sh(node(i), "cat /run/flannel/subnet.env 2>/dev/null").stdout();
    }

    /** A pod through the CNI convention (env vars + the network config on stdin), by the plugin the image installs. */
    static String addPod(int i) {
        Docker.Result r = Docker.sh(node(i), "/opt/weft/cni/install-cni.sh >/dev/null && ip netns add pod && echo '" + POD_CONF
                + "' | CNI_COMMAND=ADD CNI_CONTAINERID=pod" + i + " CNI_NETNS=/var/run/netns/pod CNI_IFNAME=eth0 "
                + "CNI_PATH=/opt/cni/bin /opt/cni/bin/weft");
        Matcher m = Pattern.compile("\"address\"\\s*:\\s*\"([0-9.]+)/").matcher(r.stdout());
        assertTrue(r.exitCode() == 0 && m.find(), "CNI ADD on node" + i + ": " + r.stdout() + r.stderr());
        return m.group(1);
    }

    static boolean ping(int from, String ip) {
        return Docker.sh(node(from), "ip netns exec pod ping -c 2 -W 2 " + ip).exitCode() == 0;
    }

    @Test
    @Order(1)
    void eachNodeTakesItsPodCidrAndPodsReachEachOther() throws Exception {
        await("both nodes write subnet.env", 120, () -> !subnetEnv(1).isEmpty() && !subnetEnv(2).isEmpty());
        assertTrue(subnetEnv(1).contains("FLANNEL_SUBNET=10.244.5.1/24"), subnetEnv(1));
        assertTrue(subnetEnv(2).contains("FLANNEL_SUBNET=10.244.9.1/24"), subnetEnv(2));
        String a = api("annotations node2");
        assertTrue(a.contains("\"flannel.alpha.coreos.com/backend-type\":\"vxlan\""), a);
        // the DaemonSet's probes and a Prometheus scrape, on the manifest's --healthz-port, from the node's namespace
        for (String path : List.of("/readyz", "/healthz", "/metrics")) {
            String http = Docker.tryRun("exec", node(1), "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/10267 && printf 'GET " + path
                    + " HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3").stdout();
            assertTrue(http.startsWith("HTTP/1.1 200"), path + ": " + http);
            if (path.equals("/metrics")) assertTrue(http.contains("weft_ready 1"), http);
        }
        // the operator's tools inside the node image (kubectl exec into the agent's pod): `weftd status` over the
        // agent's debug socket (the image's own runtime must carry jdk.net for the socket's peer check), and the AOT
        // cache the image's build made
        for (int i = 1; i <= 2; i++) {
            Docker.Result st = Docker.tryRun("exec", agent(i), "/opt/weft/weftd", "status");
            assertEquals(0, st.exitCode(), "weftd status on node " + i + ": " + st.stderr() + st.stdout());
            assertTrue(st.stdout().contains(i == 1 ? "10.244.5.0/24" : "10.244.9.0/24"), st.stdout());
        }
        assertEquals(0, Docker.sh(agent(2), "test -s /opt/weft/weftd.aot").exitCode(), "the image has its AOT cache: "
                + Docker.sh(agent(2), "cat /opt/weft/weftd.aot.log").stdout());
        pod1 = addPod(1);
        pod2 = addPod(2);
        await("pod on node1 (kernel VXLAN) reaches pod on node2 (userspace VXLAN)", 30, () -> ping(1, pod2));
        assertTrue(ping(2, pod1), "and back");
    }

    /** TrafficTool (the agent tests' traffic generator) in node {@code i}'s pod, on the mounted JDK. */
    static Process traffic(int i, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("docker", "exec", node(i), "ip", "netns", "exec", "pod",
                System.getProperty("java.home") + "/bin/java", "-XX:TieredStopAtLevel=1", "-cp", String.join(":", TEST_CP),
                "io.weft.lab.traffic.TrafficTool"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** The first line of {@code p}'s output starting with {@code prefix}; fails with all it printed otherwise. */
    static String line(Process p, String prefix, long seconds) throws Exception {
        StringBuilder all = new StringBuilder();
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        var f = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = reader.readLine()) != null; ) {
                    all.append(l).append('\n');
                    if (l.startsWith(prefix)) return l;
                }
            } catch (IOException e) {
                all.append(e);
            }
            return null;
        });
        String l;
        try {
            l = f.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            l = null;
        }
        if (l == null) throw new AssertionError("no " + prefix + " line within " + seconds + " s:\n" + all);
        return l;
    }

    /** 64 MiB over TCP from node {@code from}'s pod to node {@code to}'s, SHA-256 of what was sent vs received. */
    static void tcp(int from, int to, String toIp, int port) throws Exception {
        long bytes = 64L << 20;
        Process sink = traffic(to, "tcp-sink", Integer.toString(port), Long.toString(bytes));
        line(sink, "LISTENING", 60);
        Process src = traffic(from, "tcp-source", toIp, Integer.toString(port), Long.toString(bytes));
        String sent = line(src, "SENT", 180);
        String got = line(sink, "RECEIVED", 60);
        assertEquals(sent.substring("SENT ".length()), got.substring("RECEIVED ".length()),
                "bytes and SHA-256 received on node" + to + " vs sent on node" + from);
    }

    /**
     * 2000 UDP datagrams of {@code size} bytes from node {@code from}'s pod to node {@code to}'s, each with a CRC: at
     * least 98 % arrive (UDP may lose a few to a full socket), none corrupted.
     */
    static void udp(int from, int to, String toIp, int port, int size) throws Exception {
        Process sink = traffic(to, "udp-sink", Integer.toString(port), "2000", "3000");
        line(sink, "LISTENING", 60);
        Process src = traffic(from, "udp-source", toIp, Integer.toString(port), "2000", Integer.toString(size));
        line(src, "SENT", 60);
        String[] r = line(sink, "UDP", 60).split(" ");
        int good = Integer.parseInt(r[1]);
        assertEquals(0, Integer.parseInt(r[2]), "corrupted UDP datagrams node" + from + " -> node" + to);
        assertTrue(good >= 1960, "UDP datagrams of " + size + " bytes delivered node" + from + " -> node" + to + ": " + good + "/2000");
    }

    @Test
    @Order(2)
    void tcpAndUdpCrossBetweenTheKernelAndTheUserspaceNodeBothWays() throws Exception {
        udp(1, 2, pod2, 5301, 1200); // kernel VXLAN -> userspace: partial UDP checksums over Docker's veths
        udp(2, 1, pod1, 5302, 1200);
        udp(1, 2, pod2, 5303, 64);
        udp(2, 1, pod1, 5304, 64);
        tcp(1, 2, pod2, 5201); // kernel VXLAN -> userspace: partial checksums and superframes over Docker's veths
        tcp(2, 1, pod1, 5202);
        String metrics = Docker.tryRun("exec", node(2), "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/10267 && printf 'GET /metrics"
                + " HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3").stdout();
        Matcher m = Pattern.compile("weft_userspace_rx_partial_checksums_total\\{[^}]*} (\\d+)").matcher(metrics);
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, "the userspace node finished the kernel node's partial checksums:\n"
                + metrics);
    }

    @Test
    @Order(3)
    void aRestartedContainerKeepsItsSubnetAndTraffic() throws Exception {
        String before = Docker.sh(node(1), "ip -o link show flannel.1").stdout().split(":")[0];
        // pings every 100 ms across the restart: the kernel datapath must not drop one
        Docker.run("exec", "-d", node(1), "sh", "-c", "ip netns exec pod ping -c 150 -i 0.1 " + pod2 + " > /tmp/across-restart.txt 2>&1");
        Thread.sleep(1000);
        String started = Docker.run("inspect", "-f", "{{.State.StartedAt}}", agent(1));
        Docker.run("restart", "-t", "10", agent(1));
        assertTrue(!started.equals(Docker.run("inspect", "-f", "{{.State.StartedAt}}", agent(1))), "agent container restarted");
        await("node1's agent is ready again", 60, () -> Docker.tryRun("logs", agent(1)).stderr().lines()
                .filter(l -> l.contains("ready:")).count() >= 2);
        assertTrue(ping(1, pod2), "pods still reach each other");
        await("the pings across the restart end", 30, () -> Docker.sh(node(1), "cat /tmp/across-restart.txt").stdout().contains("packet loss"));
        String pings = Docker.sh(node(1), "cat /tmp/across-restart.txt").stdout();
        assertTrue(pings.contains(" 0% packet loss"), "no ping lost while the agent restarted:\n" + pings);
        assertTrue(subnetEnv(1).contains("FLANNEL_SUBNET=10.244.5.1/24"), subnetEnv(1));
        assertEquals(before, Docker.sh(node(1), "ip -o link show flannel.1").stdout().split(":")[0], "flannel.1 kept its index");
    }

    @Test
    @Order(4)
    void aDeletedNodesRoutesGo() throws Exception {
        api("delete node2");
        await("node1 drops its route to node2's subnet", 30,
                () -> !Docker.sh(node(1), "ip route show 10.244.9.0/24").stdout().contains("10.244.9.0/24"));
    }
}
