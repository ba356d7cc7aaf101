package io.weft.core.iproute;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * iptables through iptables-save and iptables-restore: a table is read in one process, and a change is one
 * {@code iptables-restore --noflush} transaction, atomic per table (no moment with half the rules, nothing else in
 * the table touched). What the installed iptables can do is probed once from {@code iptables --version}, as
 * flannel's go-iptables does. {@link #v6} drives the IPv6 tables the same way (ip6tables, ip6tables-save,
 * ip6tables-restore), as go-iptables' ProtocolIPv6 does.
 */
public final class Iptables {

    /** An iptables version as {@code iptables --version} prints it: "iptables v1.8.9 (nf_tables)". */
    public record Version(int major, int minor, int patch) {
        private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

        public static Optional<Version> parse(String text) {
            Matcher m = VERSION.matcher(text);
            if (!m.find()) return Optional.empty();
            return Optional.of(new Version(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3))));
        }

        public boolean atLeast(int ma, int mi, int pa) {
            if (major != ma) return major > ma;
            if (minor != mi) return minor > mi;
            return patch >= pa;
        }

        /** MASQUERADE --random-fully came with iptables 1.6.2 (go-iptables {@code HasRandomFully}). */
        public boolean hasRandomFully() {
            return atLeast(1, 6, 2);
        }

        /** iptables-restore --wait came with 1.6.2 (flannel's iptables_restore.go {@code ipTablesHasWaitSupport}). */
        public boolean restoreHasWait() {
            return atLeast(1, 6, 2);
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    private final Netns ns;
    private final String tool; // "iptables" or "ip6tables"
    private volatile Optional<Version> version; // null until probed

    /** The IPv4 tables. */
    public Iptables(Netns ns) {
        this(ns, "iptables");
    }

    private Iptables(Netns ns, String tool) {
        this.ns = ns;
        this.tool = tool;
    }

    /** The IPv6 tables. */
    public static Iptables v6(Netns ns) {
        return new Iptables(ns, "ip6tables");
    }

    /** "iptables" or "ip6tables", for messages. */
    public String tool() {
        return tool;
    }

    /** The installed iptables' version; empty when iptables is missing or prints no version. */
    public Optional<Version> version() {
        Optional<Version> v = version;
        if (v == null) {
            IpRunner.Result r;
            try {
                r = IpRunner.run(ns.exec(List.of(tool, "--version")), null);
            } catch (IpException e) {
                r = null; // not installed
            }
            v = r == null || r.exitCode() != 0 ? Optional.empty() : Version.parse(r.stdout());
            version = v;
        }
        return v;
    }

    public boolean installed() {
        return version().isPresent();
    }

    /**
     * The table's chains in the order iptables-save lists them, each with its rules in order, written as
     * iptables-save prints them without the leading {@code -A CHAIN}. A table the kernel does not have yet is empty.
     */
    public Map<String, List<String>> chains(String table) {
        List<String> cmd = ns.exec(List.of(tool + "-save", "-t", table));
        IpRunner.Result r = IpRunner.run(cmd, null);
        if (r.exitCode() != 0) {
            if (r.stderr().contains("does not exist")) return Map.of();
            throw new IpException(cmd, r.exitCode(), r.stderr(), null);
        }
        return parseSave(r.stdout());
    }

    static Map<String, List<String>> parseSave(String save) {
        Map<String, List<String>> chains = new LinkedHashMap<>();
        for (String line : save.lines().toList()) {
            if (line.startsWith(":")) {
                chains.putIfAbsent(line.substring(1).split(" ", 2)[0], new ArrayList<>());
            } else if (line.startsWith("-A ")) {
                String[] parts = line.substring(3).split(" ", 2);
                chains.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(parts.length > 1 ? parts[1] : "");
            }
        }
        return chains;
    }

    /** A built-in chain's policy and how many packets and bytes fell through to it. */
    public record Policy(String chain, String target, long packets, long bytes) {}

    /** A rule as {@code iptables-save -c} prints it (without the leading {@code -A CHAIN}), with its counters. */
    public record CountedRule(String chain, String rule, long packets, long bytes) {
        /** Whether the rule throws the packets it matches away. */
        public boolean drops() {
            return rule.endsWith("-j DROP") || rule.contains("-j REJECT");
        }
    }

    /** One table's policies and rules with their counters, in iptables-save's order. */
    public record Counters(Map<String, Policy> policies, List<CountedRule> rules) {}

    /** The table with its counters ({@code iptables-save -c}); empty when the kernel has no such table. */
    public Counters counters(String table) {
        List<String> cmd = ns.exec(List.of(tool + "-save", "-c", "-t", table));
        IpRunner.Result r = IpRunner.run(cmd, null);
        if (r.exitCode() != 0) {
            if (r.stderr().contains("does not exist")) return new Counters(Map.of(), List.of());
            throw new IpException(cmd, r.exitCode(), r.stderr(), null);
        }
        return parseCounters(r.stdout());
    }

    private static final Pattern COUNTS = Pattern.compile("\\[(\\d+):(\\d+)]");

    static Counters parseCounters(String save) {
        Map<String, Policy> policies = new LinkedHashMap<>();
        List<CountedRule> rules = new ArrayList<>();
        for (String line : save.lines().toList()) {
            if (line.startsWith(":")) {
                String[] p = line.substring(1).split(" ", 3);
                if (p.length < 2 || "-".equals(p[1])) continue;
                Matcher m = COUNTS.matcher(p.length > 2 ? p[2] : "");
                boolean c = m.find();
                policies.put(p[0], new Policy(p[0], p[1], c ? Long.parseLong(m.group(1)) : 0, c ? Long.parseLong(m.group(2)) : 0));
            } else if (line.startsWith("[")) {
                Matcher m = COUNTS.matcher(line);
                if (!m.lookingAt()) continue;
                String rest = line.substring(m.end()).strip();
                if (!rest.startsWith("-A ")) continue;
                String[] p = rest.substring(3).split(" ", 2);
                rules.add(new CountedRule(p[0], p.length > 1 ? p[1] : "", Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
            }
        }
        return new Counters(Map.copyOf(policies), List.copyOf(rules));
    }

    /**
     * Applies {@code lines} (iptables-restore commands such as {@code -A FORWARD ...}, {@code :CHAIN - [0:0]},
     * {@code -X CHAIN}) to {@code table} in one transaction, leaving every chain they do not name as it is.
     */
    public void restore(String table, List<String> lines) {
        StringBuilder in = new StringBuilder();
        in.append('*').append(table).append('\n');
        for (String l : lines) in.append(l).append('\n');
        in.append("COMMIT\n");
        List<String> cmd = new ArrayList<>(List.of(tool + "-restore", "--noflush"));
        // Without --wait a restore that meets another program's xtables lock fails at once instead of waiting.
        if (version().map(Version::restoreHasWait).orElse(false)) cmd.add("--wait");
        IpRunner.run(ns.exec(cmd), in.toString()).orThrow();
    }
}
