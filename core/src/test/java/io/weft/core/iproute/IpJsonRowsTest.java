package io.weft.core.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * IpJsonRows, the entry-by-entry reader of iproute2's tables, against real iproute2 output captured in a netns (see
 * src/test/resources/iproute/README.md): each case is a sample, the fields asked for, and every entry as read.
 */
class IpJsonRowsTest {

    private static String sample(String name) throws IOException {
        try (InputStream in = IpJsonRowsTest.class.getResourceAsStream("/iproute/" + name)) {
            if (in == null) throw new AssertionError("missing test resource /iproute/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Stream<Arguments> tables() {
        List<String> route = List.of("type", "dst", "gateway", "dev", "flags");
        List<String> neigh = List.of("dst", "lladdr", "dev", "state");
        List<String> fdb = List.of("mac", "dst", "ifname");
        return Stream.of(
                // a route's metrics are an array of objects (mtu, advmss), metric and protocol are plain fields
                Arguments.of("ip-j-4-route-show-table-main-metrics.json", route, List.of(
                        "type=- dst=default gateway=172.31.0.254 dev=eth0 flags=[]",
                        "type=blackhole dst=10.99.0.0/16 gateway=- dev=- flags=[]",
                        "type=- dst=10.244.2.0/24 gateway=10.244.2.0 dev=flannel.1 flags=[onlink]",
                        "type=- dst=10.244.3.0/24 gateway=10.244.3.0 dev=flannel.1 flags=[onlink]",
                        "type=- dst=10.244.4.0/24 gateway=10.244.4.0 dev=flannel.1 flags=[onlink]",
                        "type=- dst=172.31.0.0/24 gateway=- dev=eth0 flags=[]")),
                Arguments.of("ip-j-4-route-show-table-main.json", List.of("dst", "flags"), List.of(
                        "dst=default flags=[]", "dst=10.99.0.0/16 flags=[]", "dst=10.244.1.0/24 flags=[]",
                        "dst=10.244.2.0/24 flags=[onlink]", "dst=10.244.3.0/24 flags=[onlink]", "dst=172.31.0.0/24 flags=[]")),
                // a neighbour known as a router is printed with "router":null beside its state
                Arguments.of("ip-j-neigh-show-router.json", neigh, List.of(
                        "dst=172.31.0.9 lladdr=02:00:00:00:00:09 dev=eth0 state=[REACHABLE]",
                        "dst=10.244.3.0 lladdr=0e:5a:1f:00:00:03 dev=flannel.1 state=[PERMANENT]",
                        "dst=10.244.2.0 lladdr=0e:5a:1f:00:00:02 dev=flannel.1 state=[PERMANENT]")),
                // a query limited to one device leaves "dev" out
                Arguments.of("ip-j-neigh-show-dev-flannel.1-nud-permanent.json", neigh, List.of(
                        "dst=10.244.3.0 lladdr=0e:5a:1f:00:00:03 dev=- state=[PERMANENT]",
                        "dst=10.244.2.0 lladdr=0e:5a:1f:00:00:02 dev=- state=[PERMANENT]")),
                Arguments.of("ip-j-neigh-show.json", List.of("dst", "state"), List.of(
                        "dst=172.31.0.9 state=[REACHABLE]", "dst=10.244.3.0 state=[PERMANENT]", "dst=172.31.0.7 state=[STALE]",
                        "dst=10.244.2.0 state=[PERMANENT]", "dst=172.31.0.8 state=[FAILED]", "dst=fe80::1 state=[PERMANENT]")),
                Arguments.of("bridge-j-fdb-show-dev-flannel.1-two.json", fdb, List.of(
                        "mac=0e:5a:1f:00:00:03 dst=172.31.0.3 ifname=-",
                        "mac=0e:5a:1f:00:00:02 dst=172.31.0.2 ifname=-")),
                // entries without a dst (the host's own multicast MACs) and a bridge port's "master"
                Arguments.of("bridge-j-fdb-show.json", List.of("dst", "ifname"), List.of(
                        "dst=- ifname=eth0p", "dst=- ifname=eth0p", "dst=- ifname=eth0p", "dst=- ifname=eth0",
                        "dst=- ifname=eth0", "dst=- ifname=eth0", "dst=172.31.0.3 ifname=flannel.1",
                        "dst=172.31.0.2 ifname=flannel.1", "dst=- ifname=cni0", "dst=- ifname=cni0", "dst=- ifname=cni0",
                        "dst=- ifname=cni0", "dst=- ifname=cni0", "dst=- ifname=vethpodp", "dst=- ifname=vethpod",
                        "dst=- ifname=vethpod", "dst=- ifname=vethpod")),
                // numbers and booleans read as iproute2 printed them; null is absent; nested objects are skipped
                Arguments.of(null, List.of("a", "b", "c", "flags"), List.of(
                        "a=1 b=true c=- flags=[]", "a=- b=- c=x flags=[x, 3]")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tables")
    void readsEveryEntryAsIproute2PrintedIt(String file, List<String> fields, List<String> want) throws IOException {
        String json = file != null ? sample(file)
                : "[{\"a\":1,\"b\":true,\"c\":null,\"x\":{\"a\":9,\"flags\":[\"no\"]}},"
                        + "{\"metrics\":[{\"mtu\":1400}],\"c\":\"x\",\"flags\":[\"x\",{\"y\":1},3]}]\n";
        List<String> got = new ArrayList<>();
        IpJsonRows.forEach(json, fields, r -> {
            List<String> parts = new ArrayList<>();
            for (String f : fields) parts.add(f + "=" + (f.equals("flags") || f.equals("state") ? r.strings(f) : r.text(f, "-")));
            got.add(String.join(" ", parts));
        });
        assertEquals(want, got);
    }

    @ParameterizedTest
    @MethodSource("empty")
    void noOutputIsNoEntries(String json) {
        List<Object> got = new ArrayList<>();
        IpJsonRows.forEach(json, List.of("dst"), got::add);
        assertEquals(List.of(), got);
    }

    static Stream<String> empty() {
        return Stream.of(null, "", "\n", "[]", "[ ]\n");
    }

    @ParameterizedTest
    @MethodSource("broken")
    void brokenOutputIsAnErrorNamingIproute2(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpJsonRows.forEach(json, List.of("dst"), r -> {}));
        assertTrue(e.getMessage().startsWith("unreadable iproute2 JSON"), e.getMessage());
    }

    static Stream<String> broken() {
        return Stream.of("[{\"dst\":", "[{\"dst\":\"10.0.0.0/8\"}", "{\"dst\":\"x\"}", "[{\"dst\":\"x\",}]", "Error: nope");
    }
}
