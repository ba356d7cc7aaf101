package io.weft.agent.traffic;

import io.weft.core.iproute.Iptables;
import io.weft.core.net.IpCidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * flannel's iptables traffic manager (pkg/trafficmngr/iptables/iptables.go): the chains {@code FLANNEL-POSTRTG} (nat)
 * and {@code FLANNEL-FWD} (filter), each entered by one commented jump appended to POSTROUTING or FORWARD, with
 * flannel's rules in flannel's order and with its comments, so a node moving between flannel and weft keeps one copy
 * of each. A check reads each table once (iptables-save) and compares the whole chain and the number of jumps, so a
 * duplicate or reordered rule is repaired too (flannel's {@code ipTablesRulesExist} checks only presence); a repair
 * is one iptables-restore per table, so no packet meets a half-written chain. IPv6 gets the same chains in ip6tables,
 * with ff00::/8 in place of 224.0.0.0/4 (flannel's {@code masqIP6Rules}, {@code forwardRules} with the IPv6 network).
 */
final class IptablesManager implements TrafficManager {
    static final String MASQ_CHAIN = "FLANNEL-POSTRTG";
    static final String FWD_CHAIN = "FLANNEL-FWD";
    static final String MASQ_JUMP = "-m comment --comment \"flanneld masq\" -j " + MASQ_CHAIN;
    static final String FWD_JUMP = "-m comment --comment \"flanneld forward\" -j " + FWD_CHAIN;
    private static final String MASQ = " -m comment --comment \"flanneld masq\" -j ";
    private static final String FWD = " -m comment --comment \"flanneld forward\" -j ";
    /** kube-proxy's masquerade mark (flannel's trafficmngr.KubeProxyMark). */
    private static final String KUBE_PROXY_MARK = "0x4000/0x4000";

    private final Iptables iptables;
    private final Iptables ip6tables;
    private final Rendering rendering = new Rendering();

    IptablesManager(Iptables iptables, Iptables ip6tables) {
        this.iptables = iptables;
        this.ip6tables = ip6tables;
    }

    private Iptables of(Family f) {
        return f.v6() ? ip6tables : iptables;
    }

    @Override
    public String mode() {
        return "iptables";
    }

    @Override
    public boolean available() {
        return iptables.installed();
    }

    /** flannel's {@code masqRules} (and {@code masqIP6Rules}): the rules of FLANNEL-POSTRTG, in order. */
    static List<String> masqRules(IpCidr network, IpCidr subnet, boolean randomFully) {
        String multicast = new Family(network, subnet).multicast();
        String masquerade = randomFully ? "MASQUERADE --random-fully" : "MASQUERADE";
        return List.of(
                // traffic kube-proxy marked for its own masquerade is left to it (no double NAT)
                "-m mark --mark " + KUBE_PROXY_MARK + MASQ + "RETURN",
                // pod to pod, in either direction, keeps its addresses
                "-s " + subnet + " -d " + network + MASQ + "RETURN",
                "-s " + network + " -d " + subnet + MASQ + "RETURN",
                // traffic from outside to this node's own pods keeps its source
                "! -s " + network + " -d " + subnet + MASQ + "RETURN",
                // pods reaching outside the cluster (but not multicast)
                "-s " + network + " ! -d " + multicast + MASQ + masquerade,
                // anything else headed into the pod network from this host
                "! -s " + network + " -d " + network + MASQ + masquerade);
    }

    /** flannel's {@code forwardRules}: the rules of FLANNEL-FWD. */
    static List<String> forwardRules(IpCidr network) {
        return List.of("-s " + network + FWD + "ACCEPT", "-d " + network + FWD + "ACCEPT");
    }

    @Override
    public List<String> ensure(Wanted w) {
        List<String> changed = new ArrayList<>();
        for (Family f : w.families()) {
            Iptables ipt = of(f);
            String in = f.v6() ? " (" + ipt.tool() + ")" : "";
            if (ensureChain(ipt, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_JUMP, w.masq() ? masqRules(ipt, f, w) : null)) {
                changed.add((w.masq() ? "wrote " : "removed ") + MASQ_CHAIN + in);
            }
            if (ensureChain(ipt, "filter", "FORWARD", FWD_CHAIN, FWD_JUMP, w.forward() ? forwardRules(f.network()) : null)) {
                changed.add((w.forward() ? "wrote " : "removed ") + FWD_CHAIN + in);
            }
        }
        return changed;
    }

    private static List<String> masqRules(Iptables ipt, Family f, Wanted w) {
        boolean randomFully = !w.randomFullyDisable() && ipt.version().map(Iptables.Version::hasRandomFully).orElse(false);
        return masqRules(f.network(), f.subnet(), randomFully);
    }

    @Override
    public List<RuleState> inspect(Wanted w) {
        List<RuleState> out = new ArrayList<>();
        for (Family f : w.families()) {
            Iptables ipt = of(f);
            out.add(inspectChain(ipt, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_JUMP, w.masq() ? masqRules(ipt, f, w) : null));
            out.add(inspectChain(ipt, "filter", "FORWARD", FWD_CHAIN, FWD_JUMP, w.forward() ? forwardRules(f.network()) : null));
        }
        return out;
    }

    private RuleState inspectChain(Iptables iptables, String table, String hook, String chain, String jump, List<String> rules) {
        String name = iptables.tool() + " " + table + " " + chain + " (from " + hook + ")";
        if (rules == null) return new RuleState(name, RuleState.OFF, "not wanted by this node's flags");
        Map<String, List<String>> now = iptables.chains(table);
        List<String> have = now.get(chain);
        long jumps = now.getOrDefault(hook, List.of()).stream().filter(jump::equals).count();
        if (have == null) return new RuleState(name, RuleState.MISSING, "chain " + chain + " is not in the " + table + " table");
        if (!rendering.matches(rules, have)) {
            return new RuleState(name, RuleState.CHANGED, "chain " + chain + " holds " + have.size() + " rules, not weft's " + rules.size());
        }
        if (jumps != 1) return new RuleState(name, jumps == 0 ? RuleState.MISSING : RuleState.CHANGED, hook + " jumps to " + chain + " " + jumps + " times");
        return new RuleState(name, RuleState.PRESENT, rules.size() + " rules");
    }

    @Override
    public List<String> cleanUp() {
        List<String> removed = new ArrayList<>();
        if (ensureChain(iptables, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_JUMP, null)) removed.add(MASQ_CHAIN);
        if (ensureChain(iptables, "filter", "FORWARD", FWD_CHAIN, FWD_JUMP, null)) removed.add(FWD_CHAIN);
        if (ip6tables.installed()) {
            if (ensureChain(ip6tables, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_JUMP, null)) removed.add(MASQ_CHAIN + " (ip6tables)");
            if (ensureChain(ip6tables, "filter", "FORWARD", FWD_CHAIN, FWD_JUMP, null)) removed.add(FWD_CHAIN + " (ip6tables)");
        }
        return removed;
    }

    /**
     * Makes {@code chain} hold exactly {@code rules}, entered by one {@code jump} from {@code hook}; with null rules,
     * removes the chain and every jump to it. Returns whether anything changed. A jump already in place stays where
     * it is; a missing one is appended, as flannel appends it.
     */
    private boolean ensureChain(Iptables iptables, String table, String hook, String chain, String jump, List<String> rules) {
        Map<String, List<String>> now = iptables.chains(table);
        List<String> have = now.get(chain);
        long jumps = now.getOrDefault(hook, List.of()).stream().filter(jump::equals).count();
        List<String> lines = new ArrayList<>();
        if (rules == null) {
            if (have == null && jumps == 0) return false;
            for (long i = 0; i < jumps; i++) lines.add("-D " + hook + " " + jump);
            if (have != null) {
                lines.add("-F " + chain);
                lines.add("-X " + chain);
            }
        } else {
            boolean chainRight = have != null && rendering.matches(rules, have);
            if (chainRight && jumps == 1) return false;
            if (!chainRight) {
                lines.add(":" + chain + " - [0:0]");
                lines.add("-F " + chain);
                for (String r : rules) lines.add("-A " + chain + " " + r);
            }
            if (jumps != 1) {
                for (long i = 0; i < jumps; i++) lines.add("-D " + hook + " " + jump);
                lines.add("-A " + hook + " " + jump);
            }
        }
        iptables.restore(table, lines);
        if (rules != null) rendering.learn(rules, iptables.chains(table).get(chain));
        return true;
    }
}
