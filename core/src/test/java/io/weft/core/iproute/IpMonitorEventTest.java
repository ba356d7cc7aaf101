package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lines as iproute2's {@code ip -o monitor label link route neigh} prints them, and what the agent reads from each. */
class IpMonitorEventTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[ROUTE]Deleted 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink | ROUTE | true | flannel.1 | 10.244.2.0/24 | ''",
            "[ROUTE]10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink | ROUTE | false | flannel.1 | 10.244.2.0/24 | ''",
            "[ROUTE]Deleted local 10.244.1.0 dev flannel.1 table local proto kernel scope host src 10.244.1.0 | ROUTE | true | flannel.1 | 10.244.1.0 | ''",
            "[NEIGH]Deleted 10.244.2.0 dev flannel.1 lladdr 0a:58:0a:f4:02:00 PERMANENT | NEIGH | true | flannel.1 | 10.244.2.0 | ''",
            "[NEIGH]Deleted 0a:58:0a:f4:02:00 dev flannel.1 dst 172.31.0.2 self permanent | NEIGH | true | flannel.1 | 0a:58:0a:f4:02:00 | ''",
            "[LINK]Deleted 4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN | LINK | true | flannel.1 | 4: | BROADCAST,MULTICAST,UP,LOWER_UP",
            "[LINK]5: veth0@if4: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue master cni0 state DOWN | LINK | false | veth0 | 5: | BROADCAST,MULTICAST",
    })
    void readsKindDeviceSubjectAndFlags(String line, String kind, boolean deleted, String dev, String subject, String flags) {
        IpMonitor.Event e = IpMonitor.Event.parse(line);
        assertEquals(kind, e.kind());
        assertEquals(deleted, e.deleted());
        assertEquals(dev, e.dev());
        assertEquals(subject, e.subject());
        assertEquals(flags, e.flags());
    }

    @ParameterizedTest
    @CsvSource({"Deleted 10.0.0.0/8 dev eth0", "'[ROUTE without end'"})
    void aLineWithoutALabelIsNoEvent(String line) {
        assertNull(IpMonitor.Event.parse(line));
    }
}
