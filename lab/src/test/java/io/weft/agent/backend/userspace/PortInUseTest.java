package io.weft.agent.backend.userspace;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.lab.overlay.Overlay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Asking for the userspace datapath where the kernel's VXLAN holds the port is a clear error, not a silent half-start. */
@Timeout(60)
class PortInUseTest {
    @Test
    void kernelFlannelDeviceOrAnyHolderOfThePortIsNamed() throws Exception {
        try (Overlay o = new Overlay("wpu", 2)) {
            o.kernelVtep(1, 2);
            AssertionError e = assertThrows(AssertionError.class, () -> o.userspaceVtep(1, true, 2));
            assertTrue(e.getMessage().contains("device flannel.1 exists and is a vxlan device"), e.getMessage());

            // another VXLAN device (not named flannel.1) bound to 8472: the bind fails and says so
            new IpBatch().add(Link.addVxlan("vx0", 7, 8472, Overlay.publicIp(2), "eth0", null, 0)).add(Link.up("vx0"))
                    .apply(Netns.named(o.node(2)));
            e = assertThrows(AssertionError.class, () -> o.userspaceVtep(2, true, 1));
            assertTrue(e.getMessage().contains("UDP port 8472 is in use (is a kernel flannel.1 device present?)"), e.getMessage());
            assertTrue(io.weft.lab.netns.NetnsLab.run("ip", "-n", o.node(2), "link", "show", "flannel.1").exitCode() != 0,
                    "no TAP left behind by the failed start");
        }
    }
}
