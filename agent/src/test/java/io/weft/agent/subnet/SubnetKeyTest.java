package io.weft.agent.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lease names as flannel's MakeSubnetKey writes them and ParseSubnetKey reads them (pkg/subnet/subnet.go). */
class SubnetKeyTest {

    @ParameterizedTest
    @CsvSource({
            "10.244.1.0-24,                         10.244.1.0/24,  ''",
            "10.244.1.0-24&fd00:10:244:1::-64,      10.244.1.0/24,  fd00:10:244:1::/64",
            "10.244.0.128-25&fd00::8000:0:0:0-65,   10.244.0.128/25, fd00::8000:0:0:0/65",
            "fd00:10:244:1::-64,                    '',             fd00:10:244:1::/64",
    })
    void roundTrips(String key, String v4, String v6) {
        SubnetKey k = SubnetKey.parse(key);
        if (v4.isEmpty()) assertNull(k.subnet());
        else assertEquals(Ipv4Cidr.parse(v4), k.subnet());
        if (v6.isEmpty()) assertNull(k.ipv6Subnet());
        else assertEquals(Ipv6Cidr.parse(v6), k.ipv6Subnet());
        assertEquals(key, k.toString());
        assertEquals(key, Lease.key(k.subnet(), k.ipv6Subnet()));
    }

    @ParameterizedTest
    @CsvSource({"10.244.1.0-24&FD00::-64", "10.244.1.0-24&fd00::", "10.244.1.0", "10.244.1.5-24", "notakey"})
    void whatFlannelWouldNotReadIsRefused(String key) {
        assertThrows(IllegalArgumentException.class, () -> SubnetKey.parse(key));
    }
}
