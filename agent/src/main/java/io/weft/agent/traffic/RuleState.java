package io.weft.agent.traffic;

/**
 * What a node has of one set of firewall rules weft keeps (a chain and its jump, or an nftables chain), or of one
 * firewall setting that decides pod traffic (the FORWARD policy), as {@code weftd status} shows it.
 *
 * @param state  {@link #PRESENT}, {@link #MISSING}, {@link #CHANGED}, {@link #OFF}, or for a policy its target
 * @param detail a few words an operator reads: what is missing, how many packets a policy dropped
 */
public record RuleState(String name, String state, String detail) {
    public static final String PRESENT = "present";
    public static final String MISSING = "missing";
    public static final String CHANGED = "changed";
    public static final String OFF = "off";
}
