package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetConfParserTest {

    private static Ipv4Cidr c(String s) {
        return Ipv4Cidr.parse(s);
    }

    /** Parses {@code json} (single quotes stand for double quotes), expecting a refusal naming {@code field}. */
    private static ConfigException refused(String field, String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> NetConfParser.parse(json.replace('\'', '"')));
        assertEquals(field, e.field(), "field of: " + e.getMessage());
        if (field != null) {
            assertTrue(e.getMessage().startsWith(field + ": "), "message must start with the field: " + e.getMessage());
        }
        return e;
    }

    private static NetConf parse(String json) {
        return NetConfParser.parse(json.replace('\'', '"'));
    }

    private static void assertContains(String needle, String haystack) {
        assertTrue(haystack.contains(needle), "expected \"" + needle + "\" in: " + haystack);
    }

    // ---- every field, parsed ------------------------------------------------------------------------------

    @Test
    void everyFieldIsRead() {
        NetConf n = parse("""
                {
                  'Network': '10.244.0.0/16',
                  'SubnetLen': 25,
                  'SubnetMin': '10.244.8.0',
                  'SubnetMax': '10.244.20.128',
                  'EnableIPv4': true,
                  'EnableIPv6': false,
                  'IPv6Network': 'fd00:10:244::/56',
                  'Backend': {
                    'Type': 'vxlan', 'VNI': 4096, 'Port': 4789, 'DirectRouting': true, 'MTU': 1400, 'Datapath': 'userspace'
                  }
                }""");
        assertEquals(c("10.244.0.0/16"), n.network());
        assertEquals(25, n.subnetLen());
        assertEquals(c("10.244.8.0/25"), n.subnetMin());
        assertEquals(c("10.244.20.128/25"), n.subnetMax());
        assertTrue(n.enableIPv4());
        assertFalse(n.enableIPv6());
        assertNull(n.ipv6Network(), "IPv6Network is read only with EnableIPv6, as flannel's CheckNetworkConfig does");
        BackendConf b = n.backend();
        assertEquals(new BackendConf("vxlan", 4096, 4789, true, 1400, "userspace"), b);
        assertTrue(b.isUserspace());
    }

    @Test
    void flannelsUsualConfigGetsFlannelsDefaults() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'vxlan'}}");
        assertEquals(24, n.subnetLen());
        assertEquals(c("10.244.1.0/24"), n.subnetMin(), "the network's first subnet is skipped");
        assertEquals(c("10.244.255.0/24"), n.subnetMax());
        assertTrue(n.enableIPv4());
        assertFalse(n.enableIPv6());
        assertNull(n.ipv6Network());
        assertEquals(BackendConf.defaultVxlan(), n.backend());
        assertEquals(new BackendConf("vxlan", 1, 8472, false, 0, "kernel"), n.backend());
        assertFalse(n.backend().isUserspace());
    }

    @Test
    void backendMayBeLeftOutOrNull() {
        assertEquals(BackendConf.defaultVxlan(), parse("{'Network': '10.244.0.0/16'}").backend());
        assertEquals(BackendConf.defaultVxlan(), parse("{'Network': '10.244.0.0/16', 'Backend': null}").backend());
        assertEquals(BackendConf.defaultVxlan(), parse("{'Network': '10.244.0.0/16', 'Backend': {}}").backend());
    }

    @ParameterizedTest(name = "{0}: SubnetLen {1}, SubnetMin {2}, SubnetMax {3}")
    @CsvSource({
            "10.0.0.0/8,     24, 10.0.1.0/24,     10.255.255.0/24",
            "10.244.0.0/16,  24, 10.244.1.0/24,   10.244.255.0/24",
            "10.244.0.0/22,  24, 10.244.1.0/24,   10.244.3.0/24",
            "10.244.0.0/23,  25, 10.244.0.128/25, 10.244.1.128/25",
            "10.244.0.0/24,  26, 10.244.0.64/26,  10.244.0.192/26",
            "192.168.7.0/28, 30, 192.168.7.4/30,  192.168.7.12/30",
            "0.0.0.0/0,      24, 0.0.1.0/24,      255.255.255.0/24",
    })
    void defaultsFollowFlannel(String network, int len, String min, String max) {
        NetConf n = parse("{'Network': '" + network + "'}");
        assertEquals(len, n.subnetLen());
        assertEquals(c(min), n.subnetMin());
        assertEquals(c(max), n.subnetMax());
    }

    @Test
    void explicitSubnetLenMovesTheDefaultBounds() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'SubnetLen': 26}");
        assertEquals(c("10.244.0.64/26"), n.subnetMin());
        assertEquals(c("10.244.255.192/26"), n.subnetMax());
        NetConf widest = parse("{'Network': '10.244.0.0/16', 'SubnetLen': 18}");
        assertEquals(c("10.244.64.0/18"), widest.subnetMin());
        assertEquals(c("10.244.192.0/18"), widest.subnetMax());
        assertEquals(30, parse("{'Network': '10.244.0.0/16', 'SubnetLen': 30}").subnetLen());
    }

    @Test
    void subnetBoundsMayBeWrittenAsCidrOfTheSubnetLen() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.10.0/24', 'SubnetMax': '10.244.20.0/24'}");
        assertEquals(c("10.244.10.0/24"), n.subnetMin());
        assertEquals(c("10.244.20.0/24"), n.subnetMax());
        NetConf one = parse("{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.5.0', 'SubnetMax': '10.244.5.0'}");
        assertEquals(one.subnetMin(), one.subnetMax(), "a pool of one subnet is allowed");
    }

    @Test
    void portZeroMeansTheLinuxDefault() {
        assertEquals(8472, parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'vxlan', 'Port': 0}}").backend().port());
        assertEquals(1, parse("{'Network': '10.244.0.0/16', 'Backend': {'Port': 1}}").backend().port());
        assertEquals(65535, parse("{'Network': '10.244.0.0/16', 'Backend': {'Port': 65535}}").backend().port());
    }

    @Test
    void vniAndMtuLimits() {
        assertEquals(0, parse("{'Network': '10.244.0.0/16', 'Backend': {'VNI': 0}}").backend().vni());
        assertEquals(16777215, parse("{'Network': '10.244.0.0/16', 'Backend': {'VNI': 16777215}}").backend().vni());
        assertEquals(626, parse("{'Network': '10.244.0.0/16', 'Backend': {'MTU': 626}}").backend().mtu());
        assertEquals(0, parse("{'Network': '10.244.0.0/16', 'Backend': {'MTU': 0}}").backend().mtu());
    }

    @Test
    void hostGw() {
        NetConf n = parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'host-gw'}}");
        assertEquals("host-gw", n.backend().type());
        assertFalse(n.backend().isUserspace());
        assertEquals("kernel", n.backend().datapath());
    }

    @Test
    void backendTypeIsCaseInsensitiveAsInFlannel() {
        assertEquals("vxlan", parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'VXLAN', 'VNI': 2}}").backend().type());
        assertEquals(2, parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'VxLan', 'VNI': 2}}").backend().vni());
        assertEquals("host-gw", parse("{'Network': '10.244.0.0/16', 'Backend': {'Type': 'Host-GW'}}").backend().type());
    }

    @Test
    void kernelDatapathAndFlannelOnlyFieldsAreAccepted() {
        NetConf n = parse("""
                {'Network': '10.244.0.0/16', 'EnableNFTables': false, 'IPv6SubnetLen': 64,
                 'Backend': {'Type': 'vxlan', 'Datapath': 'kernel', 'GBP': false, 'Learning': false, 'MacPrefix': '0E:5A'}}""");
        assertEquals("kernel", n.backend().datapath());
        assertFalse(n.backend().isUserspace());
    }

    // ---- every error names its field ----------------------------------------------------------------------

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "Network             | 'Network': 10",
            "Network             | 'Network': ['10.244.0.0/16']",
            "SubnetLen           | 'SubnetLen': '24'",
            "SubnetLen           | 'SubnetLen': 24.5",
            "SubnetLen           | 'SubnetLen': 99999999999",
            "SubnetLen           | 'SubnetLen': 2.4e1",
            "SubnetLen           | 'SubnetLen': 24.0",
            "SubnetLen           | 'SubnetLen': '24', 'SubnetLen': 24",
            "Networks            | 'Networks': '10.244.0.0/16'",
            "Networks            | 'Networks': [16]",
            "SubnetMin           | 'SubnetMin': 167772160",
            "SubnetMax           | 'SubnetMax': true",
            "EnableIPv4          | 'EnableIPv4': 'true'",
            "EnableIPv6          | 'EnableIPv6': 0",
            "IPv6Network         | 'IPv6Network': 6",
            "EnableNFTables      | 'EnableNFTables': 'no'",
            "IPv6SubnetLen       | 'IPv6SubnetLen': '64'",
            "Backend             | 'Backend': 'vxlan'",
            "Backend             | 'Backend': ['vxlan']",
            "Backend.Type        | 'Backend': {'Type': 1}",
            "Backend.VNI         | 'Backend': {'VNI': '1'}",
            "Backend.VNI         | 'Backend': {'VNI': 1.0}",
            "Backend.Port        | 'Backend': {'Port': '8472'}",
            "Backend.DirectRouting | 'Backend': {'DirectRouting': 'true'}",
            "Backend.DirectRouting | 'Backend': {'DirectRouting': 1}",
            "Backend.MTU         | 'Backend': {'MTU': '1450'}",
            "Backend.Datapath    | 'Backend': {'Datapath': 2}",
            "Backend.GBP         | 'Backend': {'GBP': 'no'}",
            "Backend.VNI         | 'backend': {'vni': true}",
    })
    void wrongTypes(String field, String member) {
        String json = member.startsWith("'Network'") ? "{" + member + "}" : "{'Network': '10.244.0.0/16', " + member + "}";
        ConfigException e = refused(field, json);
        assertTrue(e.getMessage().contains("must be"), e.getMessage());
    }

    @Test
    void networkIsRequiredAndMustBeANetwork() {
        assertContains("required", refused("Network", "{'Backend': {'Type': 'vxlan'}}").getMessage());
        assertContains("required", refused("Network", "{'Network': null}").getMessage());
        refused("Network", "{'Network': '10.244.0.0'}");
        refused("Network", "{'Network': '10.244.0.0/33'}");
        refused("Network", "{'Network': 'fd00::/48'}");
    }

    @Test
    void networkTooSmallForFlannelsDefault() {
        // flannel: "Network is too small. Minimum useful network prefix is /28"
        ConfigException e = refused("Network", "{'Network': '10.244.0.0/29'}");
        assertContains("/28", e.getMessage());
        refused("Network", "{'Network': '10.244.0.0/31'}");
        refused("Network", "{'Network': '10.244.0.1/32'}");
    }

    @Test
    void subnetLenTooShortOrTooLong() {
        ConfigException same = refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': 16}");
        assertContains("16", same.getMessage());
        refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': 8}");
        refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': -24}");
        // flannel: the network must hold at least four subnets (the first is never leased)
        refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': 17}");
        ConfigException tooLong = refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': 31}");
        assertContains("30", tooLong.getMessage());
        refused("SubnetLen", "{'Network': '10.244.0.0/16', 'SubnetLen': 32}");
    }

    @Test
    void subnetMinMisaligned() {
        ConfigException e = refused("SubnetMin", "{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.1.128'}");
        assertContains("10.244.1.128", e.getMessage());
        assertContains("/24", e.getMessage());
        refused("SubnetMax", "{'Network': '10.244.0.0/16', 'SubnetLen': 25, 'SubnetMax': '10.244.9.64'}");
    }

    @Test
    void subnetBoundAsCidrMustBeExactlyOneSubnet() {
        // "10.244.5.0/16" is not the /24 subnet 10.244.5.0: its prefix says otherwise, and it must not be
        // silently read as 10.244.0.0 (the network's own first block)
        ConfigException wrongLen = refused("SubnetMin", "{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.5.0/16'}");
        assertContains("10.244.5.0/16", wrongLen.getMessage());
        refused("SubnetMax", "{'Network': '10.244.0.0/16', 'SubnetMax': '10.244.200.0/23'}");
        refused("SubnetMin", "{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.5.7/24'}");
    }

    @Test
    void subnetBoundsOutsideNetwork() {
        ConfigException min = refused("SubnetMin", "{'Network': '10.244.0.0/16', 'SubnetMin': '10.245.0.0'}");
        assertContains("10.244.0.0/16", min.getMessage());
        assertContains("outside", min.getMessage());
        refused("SubnetMax", "{'Network': '10.244.0.0/16', 'SubnetMax': '10.243.255.0'}");
        refused("SubnetMin", "{'Network': '10.244.0.0/16', 'SubnetMin': 'ten'}");
        refused("SubnetMax", "{'Network': '10.244.0.0/16', 'SubnetMax': '10.244.256.0'}");
    }

    @Test
    void subnetMinAfterSubnetMax() {
        ConfigException e = refused("SubnetMin",
                "{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.20.0', 'SubnetMax': '10.244.10.0'}");
        assertContains("10.244.20.0", e.getMessage());
        assertContains("SubnetMax 10.244.10.0", e.getMessage());
    }

    @Test
    void vniOutOfRange() {
        assertContains("16777216", refused("Backend.VNI", "{'Network': '10.244.0.0/16', 'Backend': {'VNI': 16777216}}").getMessage());
        refused("Backend.VNI", "{'Network': '10.244.0.0/16', 'Backend': {'VNI': -1}}");
    }

    @Test
    void portAndMtuOutOfRange() {
        refused("Backend.Port", "{'Network': '10.244.0.0/16', 'Backend': {'Port': 65536}}");
        refused("Backend.Port", "{'Network': '10.244.0.0/16', 'Backend': {'Port': -1}}");
        ConfigException underlay = refused("Backend.MTU", "{'Network': '10.244.0.0/16', 'Backend': {'MTU': 625}}");
        assertContains("underlay", underlay.getMessage());
        refused("Backend.MTU", "{'Network': '10.244.0.0/16', 'Backend': {'MTU': -1}}");
        refused("Backend.MTU", "{'Network': '10.244.0.0/16', 'Backend': {'MTU': 65536}}");
    }

    @Test
    void badBackendType() {
        ConfigException e = refused("Backend.Type", "{'Network': '10.244.0.0/16', 'Backend': {'Type': 'udp'}}");
        assertContains("\"udp\"", e.getMessage());
        assertContains("vxlan", e.getMessage());
        refused("Backend.Type", "{'Network': '10.244.0.0/16', 'Backend': {'Type': ''}}");
    }

    @Test
    void badDatapath() {
        ConfigException e = refused("Backend.Datapath", "{'Network': '10.244.0.0/16', 'Backend': {'Datapath': 'dpdk'}}");
        assertContains("\"dpdk\"", e.getMessage());
        assertContains("userspace", e.getMessage());
    }

    @Test
    void unsupportedFeaturesAreNamed() {
        refused("EnableIPv4", "{'Network': '10.244.0.0/16', 'EnableIPv4': false}");
        refused("Backend.GBP", "{'Network': '10.244.0.0/16', 'Backend': {'GBP': true}}");
        refused("Backend.Learning", "{'Network': '10.244.0.0/16', 'Backend': {'Learning': true}}");
    }

    @Test
    void invalidJson() {
        ConfigException e = refused(null, "{'Network': '10.244.0.0/16',\n 'SubnetLen': }");
        assertContains("not valid JSON", e.getMessage());
        assertContains("line 2", e.getMessage());
        refused(null, "{'Network': '10.244.0.0/16'");
        assertContains("JSON object", refused(null, "['10.244.0.0/16']").getMessage());
        refused(null, "");
        refused(null, "null");
        refused(null, "'10.244.0.0/16'");
    }

    @Test
    void trailingContentIsNotValidJson() {
        ConfigException e = refused(null, "{'Network': '10.244.0.0/16'} {'Network': '10.0.0.0/8'}");
        assertContains("not valid JSON", e.getMessage());
        refused(null, "{'Network': '10.244.0.0/16'}, 'SubnetLen': 25}");
    }

    // ---- read(Path) ---------------------------------------------------------------------------------------

    @Test
    void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("net-conf.json");
        Files.writeString(good, "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}\n");
        assertEquals(c("10.244.0.0/16"), NetConfParser.read(good).network());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\", \"VNI\": \"one\"}}");
        ConfigException e = assertThrows(ConfigException.class, () -> NetConfParser.read(bad));
        assertEquals("Backend.VNI", e.field());
        assertTrue(e.getMessage().startsWith("Backend.VNI: must be an integer"), e.getMessage());
        assertContains(bad.toString(), e.getMessage());

        ConfigException missing = assertThrows(ConfigException.class, () -> NetConfParser.read(dir.resolve("nope.json")));
        assertNull(missing.field());
        assertContains("nope.json", missing.getMessage());
        assertContains("does not exist", missing.getMessage());

        Path notJson = dir.resolve("garbage.json");
        Files.writeString(notJson, "Network=10.244.0.0/16");
        ConfigException g = assertThrows(ConfigException.class, () -> NetConfParser.read(notJson));
        assertNull(g.field());
        assertContains("garbage.json", g.getMessage());
    }

    @Test
    void subnetAtIndexesBlocksOfTheNetwork() {
        NetConf n = parse("{'Network': '10.244.0.0/16'}");
        assertEquals(c("10.244.0.0/24"), n.subnetAt(0));
        assertEquals(c("10.244.7.0/24"), n.subnetAt(7));
        assertEquals(c("10.244.255.0/24"), n.subnetAt(255));
    }
}
