package io.weft.cni.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultTest {
    static final Result R = new Result(
            List.of(new Result.Iface("cni0", "0a:00:00:00:00:01", null), new Result.Iface("veth1", "0a:00:00:00:00:02", null),
                    new Result.Iface("eth0", "0a:00:00:00:00:03", "/var/run/netns/p")),
            List.of(new Result.IpConfig("10.244.1.2/24", "10.244.1.1", 2)),
            List.of(new Result.Route("10.244.0.0/16", null), new Result.Route("0.0.0.0/0", "10.244.1.1")), Map.of());

    @Test
    void ipsCarryTheirVersionOnlyBefore100() {
        assertEquals("{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"0a:00:00:00:00:01\"},"
                + "{\"name\":\"veth1\",\"mac\":\"0a:00:00:00:00:02\"},{\"name\":\"eth0\",\"mac\":\"0a:00:00:00:00:03\","
                + "\"sandbox\":\"/var/run/netns/p\"}],\"ips\":[{\"version\":\"4\",\"interface\":2,\"address\":\"10.244.1.2/24\","
                + "\"gateway\":\"10.244.1.1\"}],\"routes\":[{\"dst\":\"10.244.0.0/16\"},{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"}],"
                + "\"dns\":{}}", R.toJson("0.3.1"));
        String v1 = R.toJson("1.1.0");
        assertEquals(-1, v1.indexOf("\"version\""));
        assertEquals("1.1.0", Json.parseObject(v1).get("cniVersion"));
    }

    @Test
    void roundTripsThroughPrevResult() {
        for (String v : CniVersion.SUPPORTED) {
            assertEquals(R, Result.fromJson(Json.parseObject(R.toJson(v))));
        }
    }

    @Test
    void errorObject() {
        assertEquals("{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad\",\"details\":\"why\"}",
                new CniException(7, "bad", "why").toJson("1.0.0"));
        assertEquals("{\"code\":11,\"msg\":\"later\"}", new CniException(11, "later").toJson(null));
    }
}
