package io.weft.core.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

    @Test
    void parsesAndFormatsLowercase() {
        MacAddress m = MacAddress.parse("0E:5A:1f:00:Ab:01");
        assertEquals(0x0E5A1F00AB01L, m.value());
        assertEquals("0e:5a:1f:00:ab:01", m.toString());
        assertEquals("ff:ff:ff:ff:ff:ff", MacAddress.BROADCAST.toString());
        assertEquals("00:00:00:00:00:00", new MacAddress(0).toString());
    }

    @Test
    void bytesRoundTrip() {
        MacAddress m = MacAddress.parse("fe:dc:ba:98:76:54");
        byte[] b = m.toBytes();
        assertArrayEquals(new byte[] {(byte) 0xfe, (byte) 0xdc, (byte) 0xba, (byte) 0x98, 0x76, 0x54}, b);
        byte[] framed = new byte[10];
        System.arraycopy(b, 0, framed, 3, 6);
        assertEquals(m, MacAddress.of(framed, 3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0e:5a:1f:00:00", "0e:5a:1f:00:00:01:02", "0e-5a-1f-00-00-01", "0e:5a:1f:00:00:1",
            "0e:5a:1f:00:00:001", "0g:5a:1f:00:00:01", "0e5a.1f00.0001", "0e:5a:1f:00:00:01:"})
    void malformedIsRefusedNamingTheText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    }

    @Test
    void widerThan48BitsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MacAddress(1L << 48));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(null));
    }

    @Test
    void multicastBit() {
        assertTrue(MacAddress.BROADCAST.isMulticast());
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertTrue(MacAddress.parse("33:33:00:00:00:01").isMulticast());
        assertFalse(MacAddress.parse("0e:5a:1f:00:00:01").isMulticast());
    }

    @Test
    void localFromSeedIsStableUnicastAndLocallyAdministered() {
        Set<MacAddress> seen = new HashSet<>();
        for (long seed : new long[] {0, 1, 2, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0AF40100L, 42, 43}) {
            MacAddress m = MacAddress.localFromSeed(seed);
            assertEquals(m, MacAddress.localFromSeed(seed), "same seed, same MAC (a VtepMAC must survive restarts)");
            int first = (int) (m.value() >>> 40);
            assertEquals(0, first & 0x01, m + " must be unicast");
            assertEquals(0x02, first & 0x02, m + " must be locally administered");
            assertFalse(m.isMulticast());
            assertEquals(m, MacAddress.parse(m.toString()));
            seen.add(m);
        }
        assertEquals(9, seen.size(), "different seeds give different MACs: " + seen);
        assertNotEquals(MacAddress.localFromSeed(0x0AF40100L), MacAddress.localFromSeed(0x0AF40200L));
    }

    @Test
    void localFromSeedSpreadsOverManySeeds() {
        Set<MacAddress> seen = new HashSet<>();
        for (long seed = 0; seed < 100_000; seed++) {
            MacAddress m = MacAddress.localFromSeed(seed);
            assertEquals(0x02, (m.value() >>> 40) & 0x03, m.toString());
            seen.add(m);
        }
        assertEquals(100_000, seen.size(), "no collisions among neighbouring seeds");
    }
}
