package io.weft.core.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Ipv4AddressTest {

    @Test
    void parsesAndFormatsDottedQuad() {
        Ipv4Address a = Ipv4Address.parse("10.244.1.5");
        assertEquals(0x0AF40105, a.value());
        assertEquals("10.244.1.5", a.toString());
    }

    @Test
    void extremesRoundTripAsUnsigned() {
        Ipv4Address max = Ipv4Address.parse("255.255.255.255");
        assertEquals(-1, max.value());
        assertEquals(0xFFFF_FFFFL, max.unsigned());
        assertEquals("255.255.255.255", max.toString());

        Ipv4Address zero = Ipv4Address.parse("0.0.0.0");
        assertEquals(0, zero.value());
        assertEquals("0.0.0.0", zero.toString());

        // 128.0.0.0 and above are negative ints; they must still format and sort as unsigned addresses
        Ipv4Address high = Ipv4Address.parse("192.168.0.1");
        assertEquals("192.168.0.1", high.toString());
        assertTrue(high.compareTo(Ipv4Address.parse("10.0.0.1")) > 0);
        assertTrue(max.compareTo(high) > 0);
    }

    @Test
    void surroundingWhitespaceIsTolerated() {
        assertEquals(Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse(" 10.0.0.1\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.256", "10.0.0.-1", "10..0.1",
            "10.0.0.1.", ".10.0.0.1", "a.b.c.d", "10.0.0.0x1", "1000.0.0.1", "10.0.0.1/24", "10 .0.0.1",
            "010.0.0.1", "10.0.0.01", "\u0661\u0660.0.0.1", "::1", "+1.0.0.1"})
    void refusesMalformedAddressesNamingThem(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(text));
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    }

    @Test
    void refusesNull() {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(null));
    }

    @Test
    void plusCountsAcrossOctetsAndWraps() {
        assertEquals("10.244.2.0", Ipv4Address.parse("10.244.1.255").plus(1).toString());
        assertEquals("10.245.0.0", Ipv4Address.parse("10.244.0.0").plus(65536).toString());
        assertEquals("0.0.0.0", Ipv4Address.parse("255.255.255.255").plus(1).toString());
    }

    @Test
    void convertsToAndFromInetAddress() throws Exception {
        Ipv4Address a = Ipv4Address.parse("172.31.200.254");
        assertArrayEquals(new byte[] {(byte) 172, 31, (byte) 200, (byte) 254}, a.toBytes());
        assertEquals(InetAddress.getByName("172.31.200.254"), a.toInetAddress());
        assertEquals(a, Ipv4Address.of(InetAddress.getByName("172.31.200.254")));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.of(InetAddress.getByName("::1")));
    }

    @Test
    void sortsNumericallyNotTextually() {
        List<Ipv4Address> l = new ArrayList<>(List.of(Ipv4Address.parse("10.0.0.10"), Ipv4Address.parse("200.0.0.1"),
                Ipv4Address.parse("10.0.0.9"), Ipv4Address.parse("9.255.255.255")));
        Collections.sort(l);
        assertEquals("[9.255.255.255, 10.0.0.9, 10.0.0.10, 200.0.0.1]", l.toString());
    }
}
