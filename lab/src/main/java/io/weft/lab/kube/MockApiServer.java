package io.weft.lab.kube;

import io.fabric8.kubernetes.api.model.NodeBuilder;
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
 * prints its annotations as JSON. Arguments: address, port, and {@code https} to serve TLS (a self-signed
 * certificate, as a kubeconfig with {@code insecure-skip-tls-verify} accepts).
 */
public final class MockApiServer {
    public static void main(String[] args) throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new ApiServerStandIn(null), args.length > 2 && args[2].equals("https"));
        server.init(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
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
                    case "annotations" -> {
                        Map<String, String> a = client.nodes().withName(w[1]).get().getMetadata().getAnnotations();
                        System.out.println("OK " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(a));
                    }
                    default -> System.out.println("ERR unknown command " + w[0]);
                }
            } catch (RuntimeException e) {
                System.out.println("ERR " + e.getMessage().replace('\n', ' '));
            }
            System.out.flush();
        }
        System.exit(0); // stdin closed: the test is done
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
}
