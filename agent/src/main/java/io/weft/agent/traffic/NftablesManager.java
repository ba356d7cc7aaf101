package io.weft.agent.traffic;

import io.weft.core.iproute.Nftables;
import io.weft.core.net.IpCidr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * flannel's nftables traffic manager (pkg/trafficmngr/nftables/nftables.go): its own tables {@code ip flannel-ipv4}
 * and {@code ip6 flannel-ipv6}, a {@code forward} chain (filter hook, priority filter) accepting the pod network and
 * a {@code postrtg} chain (nat postrouting, priority srcnat) with the masquerade rules. The table is rewritten whole
 * in one nft transaction whenever it differs from what is wanted, so a check also repairs it after
 * {@code nft flush ruleset} (flannel's nftables manager writes its rules once).
 *
 * <p>Two masquerade rules match what flannel's iptables manager does rather than its nftables one, on purpose: the
 * kube-proxy mark is tested as a bit ({@code meta mark & 0x4000 == 0x4000}; flannel's nftables rule compares the whole
 * mark), and "outside to this node's pods keeps its source" is {@code ip saddr != NETWORK ip daddr SUBNET} (flannel's
 * nftables rule swaps the two, which returns everything from outside and leaves its last masquerade rule dead).
 * IPv6 gets the same chains in {@code ip6 flannel-ipv6}, with {@code ip6} matches and ff00::/8 for multicast.
 */
final class NftablesManager implements TrafficManager {
    static final String V4_TABLE = "flannel-ipv4";
    static final String V6_TABLE = "flannel-ipv6";
    static final String FORWARD_CHAIN = "forward";
    static final String POSTRTG_CHAIN = "postrtg";
    static final String FORWARD_TYPE = "type filter hook forward priority filter; policy accept;";
    static final String POSTRTG_TYPE = "type nat hook postrouting priority srcnat; policy accept;";

    private final Nftables nft;
    private final Rendering rendering = new Rendering();
    private Boolean randomFully; // probed once

    NftablesManager(Nftables nft) {
        this.nft = nft;
    }

    @Override
    public String mode() {
        return "nftables";
    }

    @Override
    public boolean available() {
        return nft.installed();
    }

    /** The forward chain: its type line, then its rules ({@code ip} or {@code ip6} by the network's family). */
    static List<String> forwardChain(IpCidr network) {
        String ip = keyword(network);
        return List.of(FORWARD_TYPE, ip + " saddr " + network + " accept", ip + " daddr " + network + " accept");
    }

    /** The postrtg chain (flannel's {@code addMasqRules}, with the two rules above as the iptables manager has them). */
    static List<String> postrtgChain(IpCidr network, IpCidr subnet, boolean randomFully) {
        String masquerade = randomFully ? "masquerade fully-random" : "masquerade";
        String ip = keyword(network);
        String multicast = new Family(network, subnet).multicast();
        return List.of(POSTRTG_TYPE,
                "meta mark & 0x00004000 == 0x00004000 return",
                ip + " saddr " + subnet + " " + ip + " daddr " + network + " return",
                ip + " saddr " + network + " " + ip + " daddr " + subnet + " return",
                ip + " saddr != " + network + " " + ip + " daddr " + subnet + " return",
                ip + " saddr " + network + " " + ip + " daddr != " + multicast + " " + masquerade,
                ip + " saddr != " + network + " " + ip + " daddr " + network + " " + masquerade);
    }

    /** The nft family and address keyword of a network: "ip" or "ip6". */
    private static String keyword(IpCidr network) {
        return network.bits() == 128 ? "ip6" : "ip";
    }

    private static String table(String family) {
        return family.equals("ip6") ? V6_TABLE : V4_TABLE;
    }

    /** Chain name to its type line and rules, as weft wants them for one family. */
    Map<String, List<String>> wanted(Wanted w, Family f) {
        Map<String, List<String>> chains = new LinkedHashMap<>();
        if (w.forward()) chains.put(FORWARD_CHAIN, forwardChain(f.network()));
        if (w.masq()) chains.put(POSTRTG_CHAIN, postrtgChain(f.network(), f.subnet(), !w.randomFullyDisable() && randomFully()));
        return chains;
    }

    /** The family ("ip", "ip6") each of {@code w}'s networks is in, with its chains. */
    private Map<String, Map<String, List<String>>> wanted(Wanted w) {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        for (Family f : w.families()) out.put(keyword(f.network()), wanted(w, f));
        return out;
    }

    @Override
    public List<String> ensure(Wanted w) {
        Map<String, Map<String, List<String>>> want = wanted(w);
        StringBuilder s = new StringBuilder();
        List<String> changed = new ArrayList<>();
        for (String family : List.of("ip", "ip6")) {
            Optional<String> have = nft.listTable(family, table(family));
            Map<String, List<String>> chains = want.get(family);
            if (chains == null) {
                // a family the node does not carry: its table exists, empty, as flannel's Init creates both
                if (have.isEmpty()) s.append(addTable(family));
                continue;
            }
            if (have.isPresent() && matches(chains, parse(have.get()))) continue;
            s.append(script(family, table(family), chains));
            changed.add("wrote table " + family + " " + table(family) + " " + chains.keySet());
        }
        if (s.isEmpty()) return List.of();
        nft.apply(s.toString());
        want.forEach((family, chains) -> {
            Map<String, List<String>> readBack = nft.listTable(family, table(family)).map(NftablesManager::parse).orElse(Map.of());
            chains.forEach((chain, lines) -> rendering.learn(lines, readBack.get(chain)));
        });
        return changed.isEmpty() ? List.of("created the empty tables flannel keeps") : changed;
    }

    @Override
    public List<RuleState> inspect(Wanted w) {
        List<RuleState> out = new ArrayList<>();
        for (var e : wanted(w).entrySet()) {
            String family = e.getKey();
            Map<String, List<String>> want = e.getValue();
            String t = table(family);
            Map<String, List<String>> have = nft.listTable(family, t).map(NftablesManager::parse).orElse(null);
            for (String chain : List.of(POSTRTG_CHAIN, FORWARD_CHAIN)) {
                String name = "nftables " + family + " " + t + " " + chain;
                List<String> rules = want.get(chain);
                if (rules == null) out.add(new RuleState(name, RuleState.OFF, "not wanted by this node's flags"));
                else if (have == null) out.add(new RuleState(name, RuleState.MISSING, "table " + family + " " + t + " does not exist"));
                else if (!have.containsKey(chain)) out.add(new RuleState(name, RuleState.MISSING, "no chain " + chain));
                else if (!rendering.matches(rules, have.get(chain))) out.add(new RuleState(name, RuleState.CHANGED, "its rules differ from weft's"));
                else out.add(new RuleState(name, RuleState.PRESENT, (rules.size() - 1) + " rules"));
            }
        }
        return out;
    }

    private boolean matches(Map<String, List<String>> want, Map<String, List<String>> have) {
        if (!want.keySet().equals(have.keySet())) return false;
        for (var e : want.entrySet()) if (!rendering.matches(e.getValue(), have.get(e.getKey()))) return false;
        return true;
    }

    private static String addTable(String family) {
        return "add table " + family + " " + table(family) + " { comment \"rules for " + table(family) + "\" ; }\n";
    }

    /** Replaces one family's table whole, in the transaction it is part of. */
    static String script(String family, String name, Map<String, List<String>> chains) {
        StringBuilder s = new StringBuilder();
        String add = addTable(family);
        s.append(add).append("delete table ").append(family).append(' ').append(name).append('\n').append(add);
        chains.forEach((chain, lines) -> {
            String comment = chain.equals(FORWARD_CHAIN) ? "chain to accept flannel traffic"
                    : "chain to manage traffic masquerading by flannel";
            String type = lines.getFirst().substring(0, lines.getFirst().indexOf(';'));
            s.append("add chain ").append(family).append(' ').append(name).append(' ').append(chain).append(" { ").append(type)
                    .append(" ; comment \"").append(comment).append("\" ; }\n");
            for (String rule : lines.subList(1, lines.size())) {
                s.append("add rule ").append(family).append(' ').append(name).append(' ').append(chain).append(' ').append(rule).append('\n');
            }
        });
        return s.toString();
    }

    /** The chains of {@code nft list table} output: each chain's type line and rules, comments left out. */
    static Map<String, List<String>> parse(String listing) {
        Map<String, List<String>> chains = new LinkedHashMap<>();
        List<String> current = null;
        for (String raw : listing.lines().toList()) {
            String line = raw.strip();
            if (line.startsWith("chain ") && line.endsWith("{")) {
                current = new ArrayList<>();
                chains.put(line.substring(6, line.length() - 1).strip(), current);
            } else if (line.equals("}")) {
                current = null;
            } else if (current != null && !line.isEmpty() && !line.startsWith("comment ")) {
                current.add(line);
            }
        }
        return chains;
    }

    @Override
    public List<String> cleanUp() {
        List<String> removed = new ArrayList<>();
        StringBuilder s = new StringBuilder();
        if (nft.listTable("ip", V4_TABLE).isPresent()) {
            s.append("delete table ip ").append(V4_TABLE).append('\n');
            removed.add("table ip " + V4_TABLE);
        }
        if (nft.listTable("ip6", V6_TABLE).isPresent()) {
            s.append("delete table ip6 ").append(V6_TABLE).append('\n');
            removed.add("table ip6 " + V6_TABLE);
        }
        if (!removed.isEmpty()) nft.apply(s.toString());
        return removed;
    }

    /** Whether the kernel takes {@code masquerade fully-random}, asked as flannel's {@code checkRandomfully} asks it. */
    private boolean randomFully() {
        if (randomFully == null) {
            randomFully = nft.accepts("add table ip " + V4_TABLE + "\n"
                    + "add chain ip " + V4_TABLE + " masqueradeTest { type nat hook postrouting priority srcnat ; }\n"
                    + "add rule ip " + V4_TABLE + " masqueradeTest ip saddr != 127.0.0.1 masquerade fully-random\n");
        }
        return randomFully;
    }
}
