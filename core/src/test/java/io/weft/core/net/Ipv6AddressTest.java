package io.weft.core.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Ipv6AddressTest {

    /** Input, and the text Go's net.IP.String() prints for it (the name host-local gives the address's file). */
    @ParameterizedTest
    @CsvSource({
            "fd00::1, fd00::1",
            "FD00:0:0:0:0:0:0:1, fd00::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // the first of two equally long runs
            "2001:0db8:0000:0000:0000:0000:0002:0001, 2001:db8::2:1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // one zero group is never "::"
            "::, ::",
            "::1, ::1",
            "1::, 1::",
            "1:0:0:2:0:0:0:3, 1:0:0:2::3", // the longest run, not the first
            "fd00:10:244:1::, fd00:10:244:1::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    })
    void printsTheCanonicalFormGoPrints(String in, String want) {
        Ipv6Address a = Ipv6Address.parse(in);
        assertEquals(want, a.toString());
        assertEquals(a, Ipv6Address.parse(a.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8",
            "12345::", "g::1", ":1::2", "1::2:", "fd00::1/64", "fd00::1%eth0", "::1.2.3", "١::1", "10.0.0.1"})
    void refusesWhatIsNotAnAddress(String s) {
        assertThrows(IllegalArgumentException.class, () -> Ipv6Address.parse(s));
    }

    @Test
    void bytesAgreeWithTheJdk() throws Exception {
        Ipv6Address a = Ipv6Address.parse("2001:db8:1:2:3:4:5:6");
        assertArrayEquals(InetAddress.getByName("2001:db8:1:2:3:4:5:6").getAddress(), a.toBytes());
        assertEquals(a, IpAddress.of(a.toBytes(), 0, 16));
        assertEquals(Ipv6Address.parse("::ffff:a01:203"), Ipv6Address.parse("::ffff:10.1.2.3"), "a dotted IPv4 tail");
    }

    @Test
    void arithmeticCarriesAcrossTheHalves() {
        Ipv6Address a = Ipv6Address.parse("fd00::ffff:ffff:ffff:ffff");
        assertEquals("fd00:0:0:1::", a.plus(1).toString());
        assertEquals(a, a.plus(1).plus(-1));
        assertEquals(1, a.plus(1).offsetFrom(a));
        assertEquals(-1, a.offsetFrom(a.plus(1)), "before the base");
        assertEquals(-1, Ipv6Address.parse("fd01::").offsetFrom(Ipv6Address.parse("fd00::")), "2^64 and more away");
        assertEquals(-1, a.offsetFrom(Ipv4Address.parse("10.0.0.1")), "the other family");
        assertTrue(Ipv6Address.parse("fd00::2").compareTo(Ipv6Address.parse("fd00::10")) < 0);
        assertTrue(Ipv6Address.parse("8000::").compareTo(Ipv6Address.parse("7fff::")) > 0, "unsigned order");
    }

    @Test
    void cidrs() {
        Ipv6Cidr c = Ipv6Cidr.parse("fd00:10:244:1::/64");
        assertEquals("fd00:10:244:1::1", c.firstHost().toString());
        assertEquals("fd00:10:244:1:ffff:ffff:ffff:ffff", c.last().toString());
        assertTrue(c.contains(Ipv6Address.parse("fd00:10:244:1:abcd::5")));
        assertFalse(c.contains(Ipv6Address.parse("fd00:10:244:2::5")));
        assertFalse(c.contains(Ipv4Address.parse("10.244.1.5")));
        assertTrue(Ipv6Cidr.parse("fd00:10:244::/56").contains(c));
        assertEquals(c, Ipv6Cidr.parseLenient("fd00:10:244:1::1/64"));
        assertEquals("fd00:10:244:1::1/64 has host bits set (network is fd00:10:244:1::/64)",
                assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00:10:244:1::1/64")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::/129"));
        assertEquals("fc00::/7", Ipv6Cidr.parseLenient("fdff::1/7").toString());
        assertEquals("::/0", IpCidr.any(128).toString());
        assertEquals("0.0.0.0/0", IpCidr.any(32).toString());
        assertTrue(IpCidr.parse("fd00::/8").sameAs(IpCidr.parseLenient("fd12::1/8")));
        assertFalse(IpCidr.parse("10.0.0.0/8").sameAs(IpCidr.parse("10.0.0.0/16")));
    }
}
