package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** /readyz's answer: not ready until the first round, then one reason per problem while it lasts. */
class ReadinessTest {
    @Test
    void reasonsComeAndGoPerArea() {
        Readiness r = new Readiness();
        assertFalse(r.ready(), "not ready before the first round");
        r.set(Readiness.Area.STARTING, null);
        assertTrue(r.ready());
        r.set(Readiness.Area.SUBNET_ENV, "cannot write /run/flannel/subnet.env: Is a directory");
        r.set(Readiness.Area.LEASE, "this node's lease expired");
        assertEquals(List.of("cannot write /run/flannel/subnet.env: Is a directory", "this node's lease expired"), r.reasons());
        r.set(Readiness.Area.SUBNET_ENV, null);
        r.set(Readiness.Area.LEASE, null);
        assertTrue(r.ready());
        assertEquals(List.of(), r.reasons());
    }
}
