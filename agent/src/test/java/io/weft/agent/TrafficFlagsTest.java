package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** flanneld's traffic flags and defaults (flannel main.go): forward rules on, resync every 5 s, random-fully on. */
class TrafficFlagsTest {
    private static Main parse(String... args) {
        Main m = new Main();
        new CommandLine(m).parseArgs(args);
        return m;
    }

    @Test
    void defaultsAreFlanneldsDefaults() {
        Main m = parse();
        assertTrue(m.iptablesForwardRules, "--iptables-forward-rules defaults to true");
        assertEquals(Duration.ofSeconds(5), m.iptablesResync);
        assertFalse(m.ipMasqRandomFullyDisable);
        assertFalse(m.ipMasq);
    }

    @Test
    void flagsAreSpelledAsFlanneldsAndResyncIsInSeconds() {
        Main m = parse("--iptables-forward-rules=false", "--iptables-resync", "2", "--ip-masq-fully-random-disable", "--ip-masq");
        assertFalse(m.iptablesForwardRules);
        assertEquals(Duration.ofSeconds(2), m.iptablesResync);
        assertTrue(m.ipMasqRandomFullyDisable);
        assertTrue(m.ipMasq);
        assertTrue(parse("--iptables-forward-rules").iptablesForwardRules);
        assertEquals(Duration.ofMillis(500), parse("--iptables-resync", "500ms").iptablesResync);
    }
}
