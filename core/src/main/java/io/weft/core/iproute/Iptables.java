package io.weft.core.iproute;

import java.util.ArrayList;
import java.util.List;

/**
 * iptables through the same command layer as ip: weft's own chains are rewritten whole with one
 * {@code iptables-restore --noflush} (atomic: no moment without rules), and the single jump into each
 * chain is added only when {@code -C} says it is missing, so running it again changes nothing.
 */
public final class Iptables {
    private final Netns ns;

    public Iptables(Netns ns) {
        this.ns = ns;
    }

    /** Replaces the rules of {@code chain} in {@code table} with {@code rules} (each an iptables rule spec). */
    public void replaceChain(String table, String chain, List<String> rules) {
        StringBuilder in = new StringBuilder();
        in.append('*').append(table).append('\n');
        in.append(':').append(chain).append(" - [0:0]\n");
        in.append("-F ").append(chain).append('\n');
        for (String r : rules) in.append("-A ").append(chain).append(' ').append(r).append('\n');
        in.append("COMMIT\n");
        run(List.of("iptables-restore", "--noflush"), in.toString());
    }

    /** Appends {@code rule} to {@code chain} unless an identical rule is already there. */
    public void ensureRule(String table, String chain, List<String> rule) {
        List<String> check = new ArrayList<>(List.of("iptables", "-w", "-t", table, "-C", chain));
        check.addAll(rule);
        if (IpRunner.run(command(check), null).exitCode() == 0) return;
        List<String> add = new ArrayList<>(List.of("iptables", "-w", "-t", table, "-A", chain));
        add.addAll(rule);
        run(add, null);
    }

    public String save(String table) {
        return run(List.of("iptables-save", "-t", table), null);
    }

    private List<String> command(List<String> cmd) {
        // ns.command puts the namespace flag after the tool name, which only ip/bridge understand.
        return ns.exec(cmd);
    }

    private String run(List<String> cmd, String stdin) {
        List<String> full = command(cmd);
        IpRunner.Result r = IpRunner.run(full, stdin);
        if (r.exitCode() != 0) throw new IpException(full, r.exitCode(), r.stderr(), null);
        return r.stdout();
    }
}
