package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * net-conf.json's IPv6 fields read and checked as flannel's CheckNetworkConfig (pkg/subnet/config.go) reads and checks
 * them: its defaults (IPv6SubnetLen 64, or the prefix + 2 past /62; the first block skipped; the last block the
 * maximum), and each of its refusals with the field named.
 */
class Ipv6NetConfTest {

    private static NetConf parse(String json) {
        return NetConfParser.parse(json.replace('\'', '"'), w -> {});
    }

    private static ConfigException refused(String field, String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(json));
        assertEquals(field, e.field(), "field of: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
        return e;
    }

    private static Ipv6Cidr c6(String s) {
        return Ipv6Cidr.parse(s);
    }

    @Test
    void dualStackAsFlannelsDocsWriteIt() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'EnableIPv6': true, 'IPv6Network': 'fd00:10:244::/56',"
                + " 'Backend': {'Type': 'vxlan'}}");
        assertTrue(n.dualStack());
        assertEquals(Ipv4Cidr.parse("10.244.0.0/16"), n.network());
        assertEquals(c6("fd00:10:244::/56"), n.ipv6Network());
        assertEquals(64, n.ipv6SubnetLen());
        assertEquals(c6("fd00:10:244:1::/64"), n.ipv6SubnetMin(), "the network's first block is skipped, as for IPv4");
        assertEquals(c6("fd00:10:244:ff::/64"), n.ipv6SubnetMax());
    }

    @Test
    void ipv6OnlyHasNoIpv4Pool() {
        List<String> warnings = new ArrayList<>();
        NetConf n = NetConfParser.parse("{\"EnableIPv4\": false, \"EnableIPv6\": true, \"IPv6Network\": \"fd00::/48\","
                + " \"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"host-gw\"}}", warnings::add);
        assertTrue(n.ipv6Only());
        assertFalse(n.enableIPv4());
        assertNull(n.network());
        assertNull(n.subnetMin());
        assertNull(n.subnetMax());
        assertEquals(0, n.subnetLen());
        assertEquals(c6("fd00:0:0:1::/64"), n.ipv6SubnetMin());
        assertEquals(c6("fd00:0:0:ffff::/64"), n.ipv6SubnetMax());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("Network 10.244.0.0/16 is ignored: EnableIPv4 is false")), warnings.toString());
    }

    @Test
    void ipv6OnlyNeedsNoNetwork() {
        NetConf n = parse("{'EnableIPv4': false, 'EnableIPv6': true, 'IPv6Network': 'fd00::/48'}");
        assertTrue(n.ipv6Only());
    }

    /** flannel's defaults: IPv6SubnetLen 64 up to a /62 network, else the prefix + 2; Min skips the first block. */
    @ParameterizedTest
    @CsvSource({
            "fd00::/16,         64,  fd00:0:0:1::/64,  fd00:ffff:ffff:ffff::/64",
            "fd00:10:244::/56,  64,  fd00:10:244:1::/64, fd00:10:244:ff::/64",
            "fd00::/62,         64,  fd00:0:0:1::/64,  fd00:0:0:3::/64",
            "fd00::/63,         65,  fd00::8000:0:0:0/65, fd00:0:0:1:8000::/65",
            "fd00::/120,        122, fd00::40/122,     fd00::c0/122",
            "fd00::/124,        126, fd00::4/126,      fd00::c/126",
    })
    void defaultsFollowFlannel(String network, int len, String min, String max) {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'EnableIPv6': true, 'IPv6Network': '" + network + "'}");
        assertEquals(len, n.ipv6SubnetLen());
        assertEquals(c6(min), n.ipv6SubnetMin());
        assertEquals(c6(max), n.ipv6SubnetMax());
    }

    @Test
    void givenBoundsAndLength() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'EnableIPv6': true, 'IPv6Network': 'fd00:10:244::/56',"
                + " 'IPv6SubnetLen': 80, 'IPv6SubnetMin': 'fd00:10:244:5::', 'IPv6SubnetMax': 'fd00:10:244:6:1::/80'}");
        assertEquals(80, n.ipv6SubnetLen());
        assertEquals(c6("fd00:10:244:5::/80"), n.ipv6SubnetMin());
        assertEquals(c6("fd00:10:244:6:1::/80"), n.ipv6SubnetMax());
        NetConf zero = parse("{'Network': '10.244.0.0/16', 'EnableIPv6': true, 'IPv6Network': 'fd00:10:244::/56',"
                + " 'IPv6SubnetMin': '::'}");
        assertEquals(c6("fd00:10:244:1::/64"), zero.ipv6SubnetMin(), ":: is \"not given\", as flannel's ip.IsEmpty");
    }

    @Test
    void withoutEnableIpv6TheFieldsAreTypeCheckedAndIgnored() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'IPv6Network': 'fd00::/56', 'IPv6SubnetLen': 3}");
        assertFalse(n.enableIPv6());
        assertNull(n.ipv6Network());
        assertEquals(0, n.ipv6SubnetLen());
        refused("IPv6Network", "{'Network': '10.244.0.0/16', 'IPv6Network': 'fd00::/999'}");
        refused("IPv6SubnetLen", "{'Network': '10.244.0.0/16', 'IPv6SubnetLen': '64'}");
    }

    @Test
    void hostBitsAreMaskedWithAWarning() {
        List<String> warnings = new ArrayList<>();
        NetConf n = NetConfParser.parse("{\"Network\": \"10.244.0.0/16\", \"EnableIPv6\": true,"
                + " \"IPv6Network\": \"fd00:10:244::1/56\"}", warnings::add);
        assertEquals(c6("fd00:10:244::/56"), n.ipv6Network());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("has host bits set")), warnings.toString());
    }

    /** Each of CheckNetworkConfig's IPv6 refusals, and weft's stricter ones, with the field named. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "EnableIPv4    | 'EnableIPv4': false                                      | no address family",
            "IPv6Network   | 'EnableIPv6': true                                       | is required",
            "IPv6Network   | 'EnableIPv6': true, 'IPv6Network': '::/0'                | not a pod network",
            "IPv6Network   | 'EnableIPv6': true, 'IPv6Network': '10.245.0.0/16'       | not an IPv6 network",
            "IPv6Network   | 'EnableIPv6': true, 'IPv6Network': 'fd00::'              | addr/len",
            "IPv6Network   | 'EnableIPv6': true, 'IPv6Network': 'fd00::/125'          | smallest IPv6Network is a /124",
            "IPv6SubnetLen | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetLen': 57  | at least 2 longer",
            "IPv6SubnetLen | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetLen': 127 | at most 126",
            "IPv6SubnetLen | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetLen': -1  | non-negative integer",
            "IPv6SubnetMin | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMin': 'fd01::'      | outside IPv6Network",
            "IPv6SubnetMax | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMax': 'fc00::'      | outside IPv6Network",
            "IPv6SubnetMin | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMin': 'fd00:0:0:1::1' | not aligned to a /64",
            "IPv6SubnetMax | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMax': 'fd00:0:0:1:8000::' | not aligned to a /64",
            "IPv6SubnetMin | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMin': 'fd00:0:0:1::/80' | not a /64 subnet",
            "IPv6SubnetMin | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMin': 'fd00:0:0:9::', 'IPv6SubnetMax': 'fd00:0:0:8::' | is after IPv6SubnetMax",
            "IPv6SubnetMin | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMin': 'nope'          | not an IPv6 address",
            "IPv6SubnetMax | 'EnableIPv6': true, 'IPv6Network': 'fd00::/56', 'IPv6SubnetMax': 5               | must be a string",
    })
    void refusalsNameTheField(String field, String fields, String words) {
        ConfigException e = refused(field, "{'Network': '10.244.0.0/16', " + fields + "}");
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void ipv6OnlyStillChecksTheIpv6Pool() {
        refused("IPv6Network", "{'EnableIPv4': false, 'EnableIPv6': true}");
        refused("IPv6SubnetLen", "{'EnableIPv4': false, 'EnableIPv6': true, 'IPv6Network': 'fd00::/64', 'IPv6SubnetLen': 65}");
    }
}
