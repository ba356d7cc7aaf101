package io.weft.lab.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which fault a run of lost replies counts against. A fault injected right after the previous one's quiet second
 * loses its first ping a few milliseconds after the injection, so the last reply before the gap came just before it:
 * that gap is the new fault's. Counting it against the previous window put a userspace restart's 1.2-3.5 s under
 * "restart an agent (kernel node)", "delete a route" or "fill the lease directory" in the full runs.
 */
class ChaosWindowTest {
    final Chaos.Window kernelRestart = new Chaos.Window("restart an agent (kernel node)", 100.0, 103.0, 2.0);
    final Chaos.Window userspaceKill = new Chaos.Window("kill -9 an agent (userspace node)", 103.0, 105.0, 1.0);
    final List<Chaos.Window> windows = List.of(kernelRestart, userspaceKill);

    @Test
    void aGapWhoseLastReplyCameJustBeforeAnInjectionIsThatFaults() {
        assertEquals(userspaceKill, Chaos.windowOf(windows, 102.995), "last reply 5 ms before the kill");
        assertEquals(userspaceKill, Chaos.windowOf(windows, 103.02));
    }

    @Test
    void earlierGapsStayWithTheFaultTheyBeganIn() {
        assertEquals(kernelRestart, Chaos.windowOf(windows, 100.5));
        assertEquals(kernelRestart, Chaos.windowOf(windows, 102.85), "in the quiet second, before the next injection's lead");
        assertEquals(kernelRestart, Chaos.windowOf(windows, 99.95), "just before its own injection");
        assertNull(Chaos.windowOf(windows, 99.0));
        assertNull(Chaos.windowOf(windows, 105.5));
    }
}
