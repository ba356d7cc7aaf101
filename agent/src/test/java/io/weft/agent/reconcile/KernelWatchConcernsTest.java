package io.weft.agent.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.agent.subnet.ChangeSignal;
import io.weft.core.iproute.IpMonitor;
import io.weft.core.iproute.Netns;
import io.weft.core.net.IpCidr;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which kernel notifications send the agent to check the kernel at once, on a dual-stack node (table-driven). */
class KernelWatchConcernsTest {
    record Case(String line, boolean concerns) {}

    static final List<Case> CASES = List.of(
            new Case("[LINK]Deleted 7: flannel-v6.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1430", true),
            new Case("[LINK]Deleted 6: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450", true),
            new Case("[ROUTE]Deleted fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 metric 1024 onlink", true),
            new Case("[ROUTE]Deleted 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", true),
            new Case("[ROUTE]Deleted fe80::/64 dev flannel-v6.1 proto kernel metric 256", false),
            new Case("[ROUTE]Deleted fd99::/64 dev flannel-v6.1", false),
            new Case("[NEIGH]Deleted fd00:10:244:2:: dev flannel-v6.1 lladdr 0e:5a:1f:00:06:02 PERMANENT", true),
            new Case("[NEIGH]Deleted fe80::1 dev flannel-v6.1 lladdr 0e:5a:1f:00:06:02 STALE", false),
            new Case("[NEIGH]Deleted fe80::1 dev flannel.1 lladdr 0e:5a:1f:00:06:02 STALE", false),
            new Case("[NEIGH]Deleted 10.244.2.0 dev flannel.1 lladdr 0e:5a:1f:00:00:02 PERMANENT", true),
            new Case("[ROUTE]fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 onlink", false),
            new Case("[ROUTE]Deleted fd00:10:244:2::/64 dev cni0", false));

    @Test
    void dualStackEvents() {
        KernelWatch w = new KernelWatch(Netns.CURRENT, () -> Set.of("flannel.1", "flannel-v6.1"),
                List.of(IpCidr.parse("10.244.0.0/16"), IpCidr.parse("fd00:10:244::/56")), new ChangeSignal());
        for (Case c : CASES) assertEquals(c.concerns(), w.concerns(IpMonitor.Event.parse(c.line())), c.line());
    }
}
