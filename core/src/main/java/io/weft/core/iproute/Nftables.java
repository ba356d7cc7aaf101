package io.weft.core.iproute;

import java.util.List;
import java.util.Optional;

/**
 * nftables through the {@code nft} tool: a script is one transaction (all of it or nothing), a table is read back
 * as {@code nft list table} prints it.
 */
public final class Nftables {
    private final Netns ns;
    private volatile Boolean installed; // null until probed

    public Nftables(Netns ns) {
        this.ns = ns;
    }

    /** Whether {@code nft} runs here. */
    public boolean installed() {
        Boolean i = installed;
        if (i == null) {
            try {
                i = IpRunner.run(ns.exec(List.of("nft", "--version")), null).exitCode() == 0;
            } catch (IpException e) {
                i = false;
            }
            installed = i;
        }
        return i;
    }

    /** The table as {@code nft list table FAMILY NAME} prints it; empty when there is no such table. */
    public Optional<String> listTable(String family, String name) {
        List<String> cmd = ns.exec(List.of("nft", "list", "table", family, name));
        IpRunner.Result r = IpRunner.run(cmd, null);
        if (r.exitCode() == 0) return Optional.of(r.stdout());
        if (r.stderr().contains("No such file or directory")) return Optional.empty();
        throw new IpException(cmd, r.exitCode(), r.stderr(), null);
    }

    /** The whole ruleset as {@code nft list ruleset} prints it (every table, anyone's). */
    public String ruleset() {
        return IpRunner.run(ns.exec(List.of("nft", "list", "ruleset")), null).orThrow().stdout();
    }

    /** Runs {@code script} (nft commands, one a line) as one transaction. */
    public void apply(String script) {
        IpRunner.run(ns.exec(List.of("nft", "-f", "-")), script).orThrow();
    }

    /** Whether the kernel would accept {@code script}, without applying it ({@code nft --check}). */
    public boolean accepts(String script) {
        return IpRunner.run(ns.exec(List.of("nft", "--check", "-f", "-")), script).exitCode() == 0;
    }
}
