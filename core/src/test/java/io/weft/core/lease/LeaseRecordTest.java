package io.weft.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaseRecordTest {

    private static final Ipv4Address IP = Ipv4Address.parse("172.31.0.2");
    private static final MacAddress MAC = MacAddress.parse("0e:5a:1f:00:00:02");

    @Test
    void vxlanLeaseIsWrittenInFlannelsExactShape() {
        LeaseRecord r = LeaseRecord.vxlan(IP, 1, MAC);
        // json.Marshal of flannel's LeaseAttrs (pkg/lease/lease.go): PublicIPv6 is a pointer without omitempty, so an
        // IPv4-only lease carries "PublicIPv6":null
        assertEquals("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:5a:1f:00:00:02\"}}", r.toJson());
        assertEquals(MAC, r.vtepMac());
        assertEquals(1, r.vni());
        assertEquals("vxlan", r.backendType());
        assertEquals(IP, r.publicIp());
    }

    @Test
    void roundTrips() {
        for (LeaseRecord r : new LeaseRecord[] {LeaseRecord.vxlan(IP, 1, MAC),
                LeaseRecord.vxlan(Ipv4Address.parse("203.0.113.250"), 16777215, MacAddress.parse("fe:ff:ff:ff:ff:ff")),
                LeaseRecord.hostGw(IP)}) {
            LeaseRecord back = LeaseRecord.parse(r.toJson());
            assertEquals(r, back);
            assertEquals(r.toJson(), back.toJson());
        }
    }

    @Test
    void readsWhatFlanneldWritesToEtcd() {
        // flanneld's LeaseAttrs also carries PublicIPv6 / BackendV6Data; a v4-only cluster has them null or absent
        String etcdValue = "{\"PublicIP\":\"172.31.0.3\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"5e:1d:88:0c:ab:29\"}}";
        LeaseRecord r = LeaseRecord.parse(etcdValue);
        assertEquals(Ipv4Address.parse("172.31.0.3"), r.publicIp());
        assertEquals("vxlan", r.backendType());
        assertEquals(1, r.vni());
        assertEquals(MacAddress.parse("5e:1d:88:0c:ab:29"), r.vtepMac());
        assertEquals(LeaseRecord.vxlan(Ipv4Address.parse("172.31.0.3"), 1, MacAddress.parse("5e:1d:88:0c:ab:29")), r);
    }

    @Test
    void hostGwLeaseHasNoBackendData() {
        LeaseRecord hg = LeaseRecord.hostGw(IP);
        // flannel's hostgw RegisterNetwork (pkg/backend/hostgw/hostgw.go) sets no BackendData: omitempty leaves it out
        assertEquals("{\"PublicIP\":\"172.31.0.2\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}", hg.toJson());
        assertEquals(hg, LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"host-gw\",\"BackendData\":null}"));
        assertEquals(hg, LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"host-gw\"}"));
        assertNull(hg.vtepMac());
        assertEquals(-1, hg.vni());
    }

    @Test
    void malformedBackendDataGivesNoMacRatherThanAnError() {
        LeaseRecord r = LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":\"x\",\"VtepMAC\":\"not-a-mac\"}}");
        assertNull(r.vtepMac());
        assertEquals(-1, r.vni());
        assertNull(LeaseRecord.parse("{\"PublicIP\":\"172.31.0.2\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VtepMAC\":7}}")
                .vtepMac());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not JSON                 | {\"PublicIP\":                                      | not valid JSON",
            "empty                    | ''                                                  | not a JSON object",
            "array                    | [1,2]                                               | not a JSON object",
            "no PublicIP              | {\"BackendType\":\"vxlan\"}                         | PublicIP",
            "PublicIP number          | {\"PublicIP\":167772161,\"BackendType\":\"vxlan\"}  | PublicIP",
            "PublicIP bad             | {\"PublicIP\":\"172.31.0.300\"}                     | PublicIP",
            "PublicIP v6              | {\"PublicIP\":\"fd00::1\"}                          | PublicIP",
            "BackendType number       | {\"PublicIP\":\"172.31.0.2\",\"BackendType\":1}     | BackendType",
            "BackendType object       | {\"PublicIP\":\"172.31.0.2\",\"BackendType\":{}}    | BackendType",
            "trailing garbage         | {\"PublicIP\":\"172.31.0.2\"}x                      | not valid JSON",
            "second document          | {\"PublicIP\":\"172.31.0.2\"} {\"PublicIP\":\"172.31.0.3\"} | not valid JSON",
    })
    void malformedLeasesAreRefusedNamingWhatIsWrong(String name, String json, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LeaseRecord.parse(json));
        assertTrue(e.getMessage().contains(expected), name + ": " + e.getMessage());
    }
}
