package io.weft.agent.status;

import io.weft.agent.debug.AgentOptions;
import io.weft.agent.debug.DebugClient;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weftd status [-o json]}: the running agent's view of this node (see {@link NodeStatus}), read from its debug
 * API. Exit code 0 when the node has no problem, 1 when it has, 2 when no agent could be asked.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show what the running weftd knows of this node: lease, backend, peers and their kernel entries, "
                + "firewall rules, problems and recent errors.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Mixin
    AgentOptions agentOptions = new AgentOptions();

    @Override
    public Integer call() {
        if (!output.equals("text") && !output.equals("json")) {
            System.err.println("weftd status: -o " + output + ": give text or json");
            return 2;
        }
        NodeStatus s;
        try {
            s = fetch(agentOptions.client());
        } catch (IllegalArgumentException e) {
            System.err.println("weftd status: " + e.getMessage());
            return 2;
        } catch (Unreachable e) {
            System.err.println("weftd status: " + e.getMessage());
            return 2;
        }
        if (output.equals("json")) {
            try {
                System.out.println(StatusHandler.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        } else {
            System.out.print(StatusText.render(s));
        }
        return s.problems().isEmpty() ? 0 : 1;
    }

    /** Why an agent could not be asked, in one line. */
    public static final class Unreachable extends Exception {
        public Unreachable(String message) {
            super(message);
        }
    }

    /** Asks {@code client}'s agent for its status. */
    public static NodeStatus fetch(DebugClient client) throws Unreachable {
        DebugClient.Response r;
        try {
            r = client.get(StatusHandler.PATH, Duration.ofSeconds(5));
        } catch (IOException e) {
            throw new Unreachable(AgentOptions.unreachable(client.agent(), e));
        }
        try (r) {
            if (r.status() != 200) throw new Unreachable("the agent at " + client.agent() + " said " + r.status() + ": " + r.text());
            return StatusHandler.JSON.readValue(r.body(), NodeStatus.class);
        } catch (IOException e) {
            throw new Unreachable("the agent at " + client.agent() + " gave an unreadable status: " + e.getMessage());
        }
    }
}
