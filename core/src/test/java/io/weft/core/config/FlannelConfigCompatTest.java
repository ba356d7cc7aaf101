package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configs flanneld runs start weft too. flanneld reads net-conf.json with Go's encoding/json into its Config struct
 * (flannel pkg/subnet/config.go ParseConfig), which matches keys case-insensitively, lets the last of repeated keys
 * win and skips fields it has no place for; each backend then decodes the Backend object into its own struct
 * (pkg/backend/vxlan/vxlan.go RegisterNetwork; pkg/backend/hostgw/hostgw.go reads none on Linux). Where weft ignores
 * something the config says, it says so in one warning line naming the field.
 */
class FlannelConfigCompatTest {

    /** A config (single quotes for double), what weft must read from it, and the warnings it must give (in order). */
    record Case(String json, String network, int subnetLen, BackendConf backend, List<String> warnings) {}

    static final BackendConf VXLAN = BackendConf.defaultVxlan();

    static Stream<Arguments> flannelConfigs() {
        return Stream.of(
                // encoding/json folds case: lower, upper and mixed keys are the same fields
                new Case("{'network': '10.244.0.0/16', 'backend': {'type': 'vxlan', 'vni': 4096, 'port': 4789, 'directrouting': true, 'mtu': 9000}}",
                        "10.244.0.0/16", 24, new BackendConf("vxlan", 4096, 4789, true, 9000, "kernel"), List.of()),
                new Case("{'NETWORK': '10.244.0.0/16', 'SUBNETLEN': 26, 'BACKEND': {'TYPE': 'HOST-GW'}}",
                        "10.244.0.0/16", 26, new BackendConf("host-gw", 0, 0, false, 0, "kernel"), List.of()),
                // ...with Unicode's folding: U+017F (long s) is 's' and U+212A (Kelvin sign) is 'k' to Go
                new Case("{'Networ\u212A': '10.244.0.0/16', '\u017FubnetLen': 25, 'Backend': {'Type': 'vxlan'}}", "10.244.0.0/16", 25, VXLAN, List.of()),
                // the last of repeated keys counts, whatever their spelling
                new Case("{'Network': '10.1.0.0/16', 'network': '10.244.0.0/16', 'Backend': {'VNI': 2, 'vni': 3}}",
                        "10.244.0.0/16", 24, new BackendConf("vxlan", 3, 8472, false, 0, "kernel"),
                        List.of("Network is given 2 times; the last one counts, as in flanneld",
                                "Backend.VNI is given 2 times; the last one counts, as in flanneld")),
                // Config.Networks is decoded, then replaced by ParseConfig: flanneld never uses the file's
                new Case("{'Network': '10.244.0.0/16', 'Networks': ['10.244.0.0/16', '10.245.0.0/16'], 'IPv6Networks': [], 'Backend': {'Type': 'vxlan'}}",
                        "10.244.0.0/16", 24, VXLAN,
                        List.of("IPv6Networks is ignored: flanneld fills it from the cluster, never from this file",
                                "Networks is ignored: flanneld fills it from the cluster, never from this file")),
                // a Windows node's net-conf.json, shared with Linux nodes in a mixed cluster
                new Case("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'vxlan', 'Name': 'vxlan0', 'MacPrefix': '0E-2A', 'VNI': 4096, 'Port': 4789}}",
                        "10.244.0.0/16", 24, new BackendConf("vxlan", 4096, 4789, false, 0, "kernel"),
                        List.of("Backend.MacPrefix is ignored: flanneld reads it on Windows only",
                                "Backend.Name is ignored: flanneld reads it on Windows only")),
                // a cluster moved from vxlan to host-gw that kept the vxlan fields
                new Case("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'host-gw', 'DirectRouting': true, 'VNI': 1}}",
                        "10.244.0.0/16", 24, new BackendConf("host-gw", 0, 0, false, 0, "kernel"),
                        List.of("Backend.DirectRouting is ignored: host-gw always routes directly",
                                "Backend.VNI is ignored: host-gw has no VXLAN device")),
                // fields neither reads, a near-miss of a real one named with the field it probably meant
                new Case("{'Network': '10.244.0.0/16', 'SubnetLenght': 25, 'Comment': 'prod', 'Backend': {'Type': 'vxlan', 'VNl': 2}}",
                        "10.244.0.0/16", 24, VXLAN,
                        List.of("SubnetLenght is ignored: neither flanneld nor weft reads it (did you mean \"SubnetLen\"?)",
                                "Comment is ignored: neither flanneld nor weft reads it",
                                "Backend.VNl is ignored: neither flanneld nor weft reads it (did you mean \"VNI\"?)")),
                // ip.IP4Net takes net.ParseCIDR's network; 0 and 0.0.0.0 mean "not given" to CheckNetworkConfig
                new Case("{'Network': '10.244.1.0/16', 'SubnetLen': 0, 'SubnetMin': '0.0.0.0', 'Backend': {'Type': 'vxlan'}}", "10.244.0.0/16", 24, VXLAN,
                        List.of("Network 10.244.1.0/16 has host bits set; read as 10.244.0.0/16, as flanneld reads it")),
                // JSON null leaves a Go field as it was
                new Case("{'Network': '10.244.0.0/16', 'SubnetLen': null, 'EnableIPv4': null, 'Backend': {'Type': null, 'VNI': null}}",
                        "10.244.0.0/16", 24, VXLAN, List.of()),
                // IPv6 fields are decoded (so typed) but used only with EnableIPv6
                new Case("{'Network': '10.244.0.0/16', 'EnableIPv6': false, 'IPv6Network': 'fd00:10:244::/56', 'IPv6SubnetLen': 64, 'Backend': {'Type': 'vxlan'}}",
                        "10.244.0.0/16", 24, VXLAN, List.of()),
                // no Backend at all: flanneld's default is udp, which weft lacks
                new Case("{'Network': '10.244.0.0/16'}", "10.244.0.0/16", 24, VXLAN,
                        List.of("Backend is not given: flanneld would run its udp backend, which weft does not have; weft runs"
                                + " vxlan (VNI 1, port 8472), which udp nodes cannot reach"))
        ).map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("flannelConfigs")
    void aConfigFlanneldRunsStartsWeft(Case c) {
        List<String> warnings = new ArrayList<>();
        NetConf n = NetConfParser.parse(c.json().replace('\'', '"'), warnings::add);
        assertEquals(c.network(), n.network().toString());
        assertEquals(c.subnetLen(), n.subnetLen());
        assertEquals(c.backend(), n.backend());
        assertEquals(c.warnings(), warnings);
        warnings.forEach(w -> assertTrue(!w.contains("\n"), "one line: " + w));
    }

    @Test
    void enableNFTablesIsCarriedForTheTrafficRules() {
        // main.go newTrafficManager(config.EnableNFTables)
        assertTrue(NetConfParser.parse("{\"Network\": \"10.244.0.0/16\", \"enableNFTables\": true}", w -> {}).enableNFTables());
    }

    @Test
    void readLogsEachWarningOnceWithTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("net-conf.json");
        java.nio.file.Files.writeString(f, "{\"Network\": \"10.244.0.0/16\", \"Networks\": [], \"Backend\": {\"Type\": \"vxlan\"}}");
        List<String> logged = new ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(NetConfParser.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            NetConfParser.read(f);
            NetConfParser.read(f);
        } finally {
            log.removeHandler(h);
        }
        assertEquals(List.of("Networks is ignored: flanneld fills it from the cluster, never from this file (in " + f + ")"), logged);
    }
}
