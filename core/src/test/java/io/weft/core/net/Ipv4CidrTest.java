package io.weft.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4CidrTest {

    private static Ipv4Cidr c(String s) {
        return Ipv4Cidr.parse(s);
    }

    private static Ipv4Address a(String s) {
        return Ipv4Address.parse(s);
    }

    @Test
    void parsesAndFormats() {
        Ipv4Cidr n = c("10.244.0.0/16");
        assertEquals(a("10.244.0.0"), n.network());
        assertEquals(16, n.prefix());
        assertEquals("10.244.0.0/16", n.toString());
        assertEquals("0.0.0.0/0", c("0.0.0.0/0").toString());
        assertEquals("255.255.255.255/32", c("255.255.255.255/32").toString());
    }

    @Test
    void hostBitsAreRefusedWithTheNetworkNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c("10.244.1.5/24"));
        assertTrue(e.getMessage().contains("10.244.1.5/24"), e.getMessage());
        assertTrue(e.getMessage().contains("host bits"), e.getMessage());
        assertTrue(e.getMessage().contains("10.244.1.0/24"), "should suggest the network: " + e.getMessage());

        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> c("10.244.0.0/8"));
        assertTrue(e2.getMessage().contains("10.0.0.0/8"), e2.getMessage());
    }

    @Test
    void lenientParseMasksHostBits() {
        assertEquals(c("10.244.1.0/24"), Ipv4Cidr.parseLenient("10.244.1.5/24"));
        assertEquals(c("0.0.0.0/0"), Ipv4Cidr.parseLenient("192.168.1.1/0"));
        assertEquals(c("192.168.1.1/32"), Ipv4Cidr.parseLenient("192.168.1.1/32"));
        assertEquals(c("128.0.0.0/1"), Ipv4Cidr.parseLenient("255.255.255.255/1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.0.0", "10.244.0.0/", "10.244.0.0/33", "10.244.0.0/-1", "10.244.0.0/16/1",
            "10.244.0.0/x", "10.244.0.0/100", "10.244.0/16", "/16", "10.244.0.0/\u0661\u0666"})
    void malformedCidrsAreRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parse(text));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parseLenient(text));
    }

    @Test
    void constructorRefusesBadPrefix() {
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Cidr(a("10.0.0.0"), 33));
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Cidr(a("10.0.0.0"), -1));
    }

    @Test
    void containsAddresses() {
        Ipv4Cidr n = c("10.244.0.0/16");
        assertTrue(n.contains(a("10.244.0.0")));
        assertTrue(n.contains(a("10.244.255.255")));
        assertFalse(n.contains(a("10.245.0.0")));
        assertFalse(n.contains(a("10.243.255.255")));
        assertTrue(c("0.0.0.0/0").contains(a("255.255.255.255")));
        assertTrue(c("192.168.0.0/16").contains(a("192.168.7.7")), "high (negative int) addresses");
        assertFalse(c("192.168.0.0/16").contains(a("64.168.7.7")));
        assertTrue(c("10.0.0.1/32").contains(a("10.0.0.1")));
        assertFalse(c("10.0.0.1/32").contains(a("10.0.0.2")));
    }

    @Test
    void containsAndOverlapsNetworks() {
        Ipv4Cidr big = c("10.244.0.0/16");
        Ipv4Cidr small = c("10.244.7.0/24");
        assertTrue(big.contains(small));
        assertFalse(small.contains(big));
        assertTrue(big.contains(big));
        assertFalse(big.contains(c("10.245.0.0/24")));

        assertTrue(big.overlaps(small));
        assertTrue(small.overlaps(big));
        assertTrue(c("10.0.0.0/8").overlaps(c("10.244.0.0/16")));
        assertFalse(c("10.244.0.0/24").overlaps(c("10.244.1.0/24")));
        assertFalse(c("10.244.0.0/16").overlaps(c("10.245.0.0/16")));
        assertTrue(c("0.0.0.0/0").overlaps(c("203.0.113.0/24")));
    }

    @Test
    void sizeLastAndFirstHost() {
        assertEquals(256, c("10.244.1.0/24").size());
        assertEquals(1L << 32, c("0.0.0.0/0").size());
        assertEquals(1, c("10.0.0.1/32").size());
        assertEquals(a("10.244.1.255"), c("10.244.1.0/24").last());
        assertEquals(a("255.255.255.255"), c("0.0.0.0/0").last());
        assertEquals(a("10.244.1.1"), c("10.244.1.0/24").firstHost());
        assertEquals(a("10.244.0.1"), c("10.244.0.0/16").firstHost());
        assertEquals(a("10.0.0.2"), c("10.0.0.2/31").firstHost(), "/31: both addresses are hosts");
        assertEquals(a("10.0.0.7"), c("10.0.0.7/32").firstHost());
    }

    @Test
    void masks() {
        assertEquals(0, Ipv4Cidr.mask(0));
        assertEquals(0xFFFF_FF00, Ipv4Cidr.mask(24));
        assertEquals(-1, Ipv4Cidr.mask(32));
        assertEquals(0x8000_0000, Ipv4Cidr.mask(1));
    }

    @Test
    void leaseKeyRoundTrip() {
        Ipv4Cidr n = c("10.244.1.0/24");
        assertEquals("10.244.1.0-24", n.toKey());
        assertEquals(n, Ipv4Cidr.parseKey("10.244.1.0-24"));
        assertEquals(c("10.244.0.128/25"), Ipv4Cidr.parseKey(c("10.244.0.128/25").toKey()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.1.0/24", "10.244.1.0", "10.244.1.0-", "10.244.1.5-24", "-24", "10.244.1.0-33"})
    void badLeaseKeysAreRefused(String key) {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parseKey(key));
    }

    @Test
    void sortsByAddressThenPrefix() {
        List<Ipv4Cidr> l = new ArrayList<>(List.of(c("192.168.0.0/16"), c("10.244.0.0/24"), c("10.244.0.0/16"),
                c("10.9.0.0/16")));
        Collections.sort(l);
        assertEquals("[10.9.0.0/16, 10.244.0.0/16, 10.244.0.0/24, 192.168.0.0/16]", l.toString());
    }
}
