package io.weft.agent.traffic;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * How the kernel's tools print back the rules weft writes. weft writes rules in the form iptables-save and nft print
 * them, so a check is a plain comparison; should another version print a rule differently, the form read back
 * right after writing is remembered, so that the next check does not rewrite the same rules again and again.
 */
final class Rendering {
    private static final Logger LOG = Logger.getLogger(Rendering.class.getName());
    private final Map<List<String>, List<String>> printed = new HashMap<>();

    boolean matches(List<String> written, List<String> present) {
        return written.equals(present) || present.equals(printed.get(written));
    }

    /** Remembers how {@code written}, just applied, reads back. */
    void learn(List<String> written, List<String> readBack) {
        if (readBack == null || readBack.equals(written)) return;
        if (!readBack.equals(printed.put(written, List.copyOf(readBack)))) {
            LOG.fine("rules read back as " + readBack + " after writing " + written);
        }
    }
}
