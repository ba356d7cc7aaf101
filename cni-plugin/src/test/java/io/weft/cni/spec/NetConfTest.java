package io.weft.cni.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetConfTest {

    static int code(String json) {
        return assertThrows(CniException.class, () -> NetConf.parse(json)).code();
    }

    @Test
    void defaultsAreFlannels() {
        NetConf c = NetConf.parse("{\"cniVersion\":\"1.0.0\",\"name\":\"cbr0\",\"type\":\"weft\"}");
        assertEquals("/run/flannel/subnet.env", c.subnetFile());
        assertEquals("cni0", c.bridge());
        assertTrue(c.isGateway());
        assertTrue(c.isDefaultGateway());
        assertTrue(c.hairpinMode());
        assertFalse(c.ipMasq());
        assertEquals(0, c.mtu(), "0: FLANNEL_MTU applies");
        assertEquals("/var/lib/cni", c.dataDir());
        assertNull(c.prevResult());
        assertNull(c.validAttachments());
    }

    @Test
    void fieldsAreRead() {
        NetConf c = NetConf.parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"weft\",\"subnetFile\":\"/x/s.env\","
                + "\"bridge\":\"br1\",\"isGateway\":false,\"hairpinMode\":false,\"ipMasq\":true,\"mtu\":1400,\"dataDir\":\"/d\","
                + "\"runtimeConfig\":{\"whatever\":1},\"unknownField\":[1],"
                + "\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}],\"prevResult\":{\"ips\":[]}}");
        assertEquals("/x/s.env", c.subnetFile());
        assertEquals("br1", c.bridge());
        assertFalse(c.isGateway());
        assertFalse(c.isDefaultGateway(), "no default gateway without a gateway, unless asked");
        assertFalse(c.hairpinMode());
        assertTrue(c.ipMasq());
        assertEquals(1400, c.mtu());
        assertEquals("/d", c.dataDir());
        assertEquals(List.of(new NetConf.Attachment("a", "eth0")), c.validAttachments());
        assertEquals(0, ((List<?>) c.prevResult().get("ips")).size());
    }

    @Test
    void defaultGatewayImpliesGateway() {
        NetConf c = NetConf.parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"isGateway\":false,\"isDefaultGateway\":true}");
        assertTrue(c.isGateway());
    }

    @Test
    void errorsHaveTheSpecCodes() {
        assertEquals(6, code("{"));
        assertEquals(6, code(""));
        assertEquals(6, code("\"str\""));
        assertEquals(6, code("{\"a\":1,\"a\":2}"));
        assertEquals(7, code("{\"name\":\"n\"}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\"}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"../x\"}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":1.5}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":70000}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"bridge\":\"a b\"}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"isGateway\":\"true\"}"));
        assertEquals(7, code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"prevResult\":[]}"));
        assertEquals(7, code("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":[{\"containerID\":1}]}"));
        CniException e = assertThrows(CniException.class, () -> NetConf.parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"hairpinMode\":1}"));
        assertTrue(e.getMessage().contains("hairpinMode"), e.getMessage());
    }

    @Test
    void versionsCompare() {
        assertTrue(CniVersion.atLeast("1.1.0", "1.0.0"));
        assertTrue(CniVersion.atLeast("0.4.0", "0.4.0"));
        assertFalse(CniVersion.atLeast("0.3.1", "0.4.0"));
        assertTrue(CniVersion.ipsCarryVersion("0.4.0"));
        assertFalse(CniVersion.ipsCarryVersion("1.0.0"));
    }
}
