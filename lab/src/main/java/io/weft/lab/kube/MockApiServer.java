package io.weft.lab.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeList;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.weft.lab.peers.FakePeers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A stand-in for kube-apiserver (none can be had on this machine): fabric8's mock server in CRUD mode with the API
 * server's nodes/status semantics ({@link ApiServerStandIn}), run as its
 * own process inside a test namespace so that agents in node namespaces reach it over the underlay. It plays
 * kube-controller-manager too, through commands on stdin, one per line, each answered with one line:
 * {@code node <name> <podCIDR>} registers a node, {@code delete <name>} removes it, {@code annotations <name>}
 * prints its annotations as JSON, {@code annotate <name> <key> <value>} sets one (as an operator's kubectl would),
 * {@code peers <count> <first>} registers {@code count} nodes peer-&lt;first&gt;... as if their agents had published
 * vxlan leases ({@link FakePeers}, for the benchmarks), {@code unpeers <count> <first>} deletes them, and {@code save} writes every Node
 * to the state file. Arguments: address, port, then {@code https} to serve TLS (a self-signed certificate, as a
 * kubeconfig with {@code insecure-skip-tls-verify} accepts) and {@code state=FILE}: Nodes saved there by an earlier
 * run are loaded at start, so a stopped and restarted stand-in keeps them as a real API server (backed by etcd) would.
 */
public final class MockApiServer {
    public static void main(String[] args) throws Exception {
        java.util.List<String> rest = java.util.Arrays.asList(args).subList(2, args.length);
        java.nio.file.Path state = rest.stream().filter(a -> a.startsWith("state=")).map(a -> java.nio.file.Path.of(a.substring(6)))
                .findFirst().orElse(null);
        InetAddress address = InetAddress.getByName(args[0]);
        Context context = new Context();
        ApiServerStandIn store = new ApiServerStandIn(null);
        if (state != null && java.nio.file.Files.exists(state)) {
            // The saved Nodes go into the store through a server of its own on another port, before anything listens on
            // the API server's: a restarted kube-apiserver serves what etcd holds from its first answer, and a list
            // answered half-way through this restore would tell the agents that their peers' Nodes are gone.
            KubernetesMockServer restorer = new KubernetesMockServer(context, new MockWebServer(), new HashMap<>(), store, false);
            restorer.init(address, 0);
            try (KubernetesClient c = restorer.createClient()) {
                restore(c, state);
            } finally {
                restorer.destroy();
            }
        }
        KubernetesMockServer server = new KubernetesMockServer(context, new MockWebServer(), new HashMap<>(), store,
                rest.contains("https"));
        server.init(address, Integer.parseInt(args[1]));
        KubernetesClient client = server.createClient();
        System.out.println("READY " + server.url("/"));
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.strip().split("\\s+");
            try {
                switch (w[0]) {
                    case "node" -> {
                        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(w[1]).endMetadata()
                                .withNewSpec().withPodCIDR(w[2]).endSpec().build()).create();
                        System.out.println("OK");
                    }
                    case "delete" -> {
                        client.nodes().withName(w[1]).delete();
                        System.out.println("OK");
                    }
                    case "annotate" -> {
                        String value = line.strip().split("\\s+", 4)[3];
                        client.nodes().withName(w[1]).edit(n -> {
                            if (n.getMetadata().getAnnotations() == null) n.getMetadata().setAnnotations(new HashMap<>());
                            n.getMetadata().getAnnotations().put(w[2], value);
                            return n;
                        });
                        System.out.println("OK");
                    }
                    case "peers" -> {
                        int count = Integer.parseInt(w[1]);
                        int first = Integer.parseInt(w[2]);
                        for (int i = first; i < first + count; i++) client.nodes().resource(peer(i)).create();
                        System.out.println("OK");
                    }
                    case "unpeers" -> {
                        int count = Integer.parseInt(w[1]);
                        int first = Integer.parseInt(w[2]);
                        for (int i = first; i < first + count; i++) client.nodes().withName("peer-" + i).delete();
                        System.out.println("OK");
                    }
                    case "save" -> {
                        NodeList all = client.nodes().list();
                        java.nio.file.Files.writeString(state, Serialization.asJson(all));
                        System.out.println("OK " + all.getItems().size());
                    }
                    case "annotations" -> {
                        Map<String, String> a = client.nodes().withName(w[1]).get().getMetadata().getAnnotations();
                        System.out.println("OK " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(a));
                    }
                    default -> System.out.println("ERR unknown command " + w[0]);
                }
            } catch (RuntimeException | java.io.IOException e) {
                System.out.println("ERR " + String.valueOf(e.getMessage()).replace('\n', ' '));
            }
            System.out.flush();
        }
        System.exit(0); // stdin closed: the test is done
    }

    /** {@link FakePeers} peer {@code i} as a Node whose agent has published its vxlan lease, as flannel writes it. */
    static Node peer(int i) {
        Map<String, String> a = new java.util.LinkedHashMap<>();
        a.put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + FakePeers.vtepMac(i) + "\"}");
        a.put("flannel.alpha.coreos.com/backend-type", "vxlan");
        a.put("flannel.alpha.coreos.com/kube-subnet-manager", "true");
        a.put("flannel.alpha.coreos.com/public-ip", FakePeers.publicIp(i).toString());
        return new NodeBuilder().withNewMetadata().withName("peer-" + i).withAnnotations(a).endMetadata()
                .withNewSpec().withPodCIDR(FakePeers.subnet(i).toString()).endSpec().build();
    }

    /** The test's end of the command protocol, over a started server process's stdin and stdout. */
    public static final class Connection {
        private final PrintWriter in;
        private final BufferedReader out;

        /** Waits for the server's READY line; {@code whyNot} explains a server that did not start. */
        public Connection(Process server, java.util.function.Supplier<String> whyNot) throws IOException {
            in = new PrintWriter(server.getOutputStream());
            out = new BufferedReader(new InputStreamReader(server.getInputStream()));
            String first = out.readLine();
            if (first == null || !first.startsWith("READY")) {
                throw new AssertionError("mock API server did not start: " + first + "\n" + whyNot.get());
            }
        }

        /** One command; its answer after "OK", or an exception with the server's refusal. */
        public String call(String command) throws IOException {
            in.println(command);
            in.flush();
            String answer = out.readLine();
            if (answer == null || !answer.startsWith("OK")) throw new IllegalStateException(command + ": " + answer);
            return answer.substring(2).strip();
        }

        /** Closes the server's stdin, on which it exits. */
        public void close() {
            in.close();
        }
    }

    /**
     * A real API server's resourceVersions only grow (etcd's revision survives its restart), so a watch resumed from
     * the last version a client saw gets what happens next. The mock's counter starts again at 1; it is moved past
     * the saved versions by updating one ConfigMap until its version is newer.
     */
    /** Creates the Nodes saved in {@code state}, and takes the resource version past the newest of them. */
    private static void restore(KubernetesClient client, java.nio.file.Path state) throws java.io.IOException {
        NodeList saved = Serialization.unmarshal(java.nio.file.Files.readString(state), NodeList.class);
        long newest = version(saved.getMetadata() == null ? null : saved.getMetadata().getResourceVersion());
        for (Node n : saved.getItems()) {
            newest = Math.max(newest, version(n.getMetadata().getResourceVersion()));
            n.getMetadata().setResourceVersion(null);
            client.nodes().resource(n).create();
        }
        advanceResourceVersion(client, newest);
    }

    private static void advanceResourceVersion(KubernetesClient client, long newest) {
        var maps = client.configMaps().inNamespace("default");
        io.fabric8.kubernetes.api.model.ConfigMap cm = maps.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("weft-lab-resource-version").endMetadata().build()).create();
        for (int i = 0; version(cm.getMetadata().getResourceVersion()) <= newest; i++) {
            String value = Integer.toString(i);
            cm = maps.withName("weft-lab-resource-version").edit(c -> new io.fabric8.kubernetes.api.model.ConfigMapBuilder(c)
                    .addToData("n", value).build());
        }
    }

    private static long version(String resourceVersion) {
        try {
            return resourceVersion == null ? 0 : Long.parseLong(resourceVersion);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
