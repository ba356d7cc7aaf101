package io.weft.agent.traffic;

import io.weft.core.iproute.Iptables;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.Nftables;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The node's firewall rules for pod traffic, kept as flanneld keeps them: programmed before the agent reports ready,
 * then checked every {@code --iptables-resync} (flanneld's resync goroutines), so a firewall reload
 * ({@code iptables -F}, {@code nft flush ruleset}) is repaired within one period. EnableNFTables in net-conf.json
 * picks the manager; the other mode's rules are removed once at start, as flanneld removes them when it starts
 * (rather than when it stops). Stopping leaves every rule in place, so a restart never interrupts traffic. A failure
 * is logged (once until it changes) and retried at the next check; it does not keep the agent from starting, as it
 * does not keep flanneld from starting.
 */
public final class TrafficRules implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TrafficRules.class.getName());

    /**
     * What the command line asks for: {@code --ip-masq}, {@code --iptables-forward-rules},
     * {@code --ip-masq-fully-random-disable}, {@code --iptables-resync}.
     */
    public record Options(boolean ipMasq, boolean forwardRules, boolean randomFullyDisable, Duration resync) {
        public Options {
            if (resync.toMillis() < 1) throw new IllegalArgumentException("--iptables-resync must be positive, got " + resync);
        }
    }

    /**
     * The node's firewall as it bears on pod traffic, read without changing anything: weft's own rules, the iptables
     * FORWARD policy (Docker sets DROP) with the packets it dropped, and rules of anyone that drop the VXLAN port.
     */
    public record Firewall(List<RuleState> rules, Iptables.Policy forwardPolicy, List<String> vxlanPortDrops) {}

    private final Iptables iptables;
    private final Nftables nftables;
    private final TrafficManager manager;
    private final TrafficManager other;
    private final Options options;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("weft-traffic-rules").unstarted(r));
    private TrafficManager.Wanted wanted; // guarded by this
    private String lastFailure; // guarded by this

    /** Refuses, touching nothing, a mode whose tool this node lacks. */
    public TrafficRules(Netns ns, boolean nftablesMode, Options options) {
        this.iptables = new Iptables(ns);
        this.nftables = new Nftables(ns);
        TrafficManager ipt = new IptablesManager(iptables, Iptables.v6(ns));
        TrafficManager nft = new NftablesManager(nftables);
        this.manager = nftablesMode ? nft : ipt;
        this.other = nftablesMode ? ipt : nft;
        this.options = options;
        if (nftablesMode && !nft.available()) {
            timer.shutdown();
            throw new IllegalArgumentException("EnableNFTables is true in the network config but nft is not installed"
                    + " on this node: install the nftables package, or set EnableNFTables to false");
        }
    }

    /**
     * The agent calls this every round with its lease: the first call removes the other mode's rules, programs this
     * mode's and starts the periodic check; later calls cost nothing unless the lease changed.
     */
    public void ensure(Ipv4Cidr network, Ipv4Cidr subnet) {
        ensure(network, subnet, null, null);
    }

    /**
     * The same for a node of either or both families: a family whose network is null is left alone (IPv4 on an
     * IPv6-only cluster), as flannel programs only the families it runs.
     */
    public synchronized void ensure(Ipv4Cidr network, Ipv4Cidr subnet, Ipv6Cidr network6, Ipv6Cidr subnet6) {
        TrafficManager.Wanted w = new TrafficManager.Wanted(network, subnet, network6, subnet6, options.ipMasq(),
                options.forwardRules(), options.randomFullyDisable());
        if (w.equals(wanted)) return;
        boolean first = wanted == null;
        wanted = w;
        if (first) {
            cleanUpOtherMode();
            long period = options.resync().toMillis();
            timer.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
        }
        check(first);
    }

    private synchronized void check() {
        check(false);
    }

    private void check(boolean first) {
        if (!manager.available()) {
            if (wanted.masq() || wanted.forward()) {
                failed(manager.mode() + " is not installed on this node, so flannel's forward"
                        + (wanted.masq() ? " and masquerade" : "") + " rules cannot be programmed: install it");
            }
            return;
        }
        try {
            List<String> changed = manager.ensure(wanted);
            if (first) {
                LOG.info(manager.mode() + " rules for " + wanted.networks() + ": "
                        + (changed.isEmpty() ? "already in place" : String.join(", ", changed)));
            } else if (!changed.isEmpty()) {
                LOG.info(manager.mode() + " rules were changed on this node; restored them: " + String.join(", ", changed));
            }
            lastFailure = null;
        } catch (RuntimeException e) {
            failed(manager.mode() + " rules could not be programmed (retrying every " + options.resync().toSeconds()
                    + "s): " + e.getMessage());
        }
    }

    /** Reads the firewall now (see {@link Firewall}); {@code vxlanPort} 0 when no UDP port carries the overlay. */
    public Firewall inspect(int vxlanPort) {
        TrafficManager.Wanted w;
        synchronized (this) {
            w = wanted;
        }
        List<RuleState> rules = new java.util.ArrayList<>();
        if (w == null) {
            rules.add(new RuleState(manager.mode() + " rules", RuleState.MISSING, "not programmed yet (the agent has no lease yet)"));
        } else if (!manager.available()) {
            rules.add(new RuleState(manager.mode() + " rules", w.masq() || w.forward() ? RuleState.MISSING : RuleState.OFF,
                    manager.mode() + " is not installed on this node"));
        } else {
            rules.addAll(manager.inspect(w));
        }
        Iptables.Policy policy = null;
        List<String> portDrops = new java.util.ArrayList<>();
        if (iptables.installed()) {
            Iptables.Counters filter = iptables.counters("filter");
            policy = filter.policies().get("FORWARD");
            if (vxlanPort > 0) {
                for (Iptables.CountedRule r : filter.rules()) {
                    if (r.drops() && mentionsPort(r.rule(), vxlanPort)) {
                        portDrops.add("iptables -A " + r.chain() + " " + r.rule() + " (" + r.packets() + " packets)");
                    }
                }
            }
        }
        if (vxlanPort > 0 && nftables.installed()) {
            for (String line : nftables.ruleset().lines().map(String::strip).toList()) {
                if ((line.contains(" drop") || line.contains(" reject")) && mentionsPort(line, vxlanPort)) {
                    portDrops.add("nft: " + line);
                }
            }
        }
        return new Firewall(List.copyOf(rules), policy, List.copyOf(portDrops));
    }

    /** Whether a rule names {@code port} as a UDP port (--dport 8472, dport 8472, a multiport list with it). */
    static boolean mentionsPort(String rule, int port) {
        return java.util.regex.Pattern.compile("(dport|sport|dports|sports)( \\{)? [0-9,: ]*\\b" + port + "\\b").matcher(rule).find();
    }

    private void cleanUpOtherMode() {
        if (!other.available()) return;
        try {
            List<String> removed = other.cleanUp();
            if (!removed.isEmpty()) {
                LOG.info("running in " + manager.mode() + " mode: removed the " + other.mode() + " rules "
                        + String.join(", ", removed));
            }
        } catch (RuntimeException e) {
            LOG.warning("could not remove the " + other.mode() + " rules of the other mode: " + e.getMessage());
        }
    }

    private void failed(String message) {
        if (!message.equals(lastFailure)) LOG.warning(message);
        lastFailure = message;
    }

    /**
     * Stops the periodic check, letting one under way finish (a half-fed iptables-restore would apply nothing
     * anyway); the rules stay.
     */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
