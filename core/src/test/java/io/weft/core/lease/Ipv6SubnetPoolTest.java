package io.weft.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.NetConfParser;
import io.weft.core.net.Ipv6Cidr;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The IPv6 pool, allocated as flannel's LocalManager.allocateSubnet (pkg/subnet/etcd/local_manager.go) does. */
class Ipv6SubnetPoolTest {

    static Ipv6SubnetPool pool(String v6) {
        return new Ipv6SubnetPool(NetConfParser.parse(("{'Network': '10.244.0.0/16', 'EnableIPv6': true, " + v6 + "}")
                .replace('\'', '"'), w -> {}));
    }

    static Ipv6Cidr c(String s) {
        return Ipv6Cidr.parse(s);
    }

    @Test
    void aSmallPoolIsHandedOutWholeSkippingTheFirstBlock() {
        Ipv6SubnetPool p = pool("'IPv6Network': 'fd00::/120', 'IPv6SubnetLen': 122");
        assertEquals(BigInteger.valueOf(3), p.capacity());
        List<Ipv6Cidr> taken = new ArrayList<>();
        for (Optional<Ipv6Cidr> next = p.firstFree(taken); next.isPresent(); next = p.firstFree(taken)) taken.add(next.get());
        assertEquals(List.of(c("fd00::40/122"), c("fd00::80/122"), c("fd00::c0/122")), taken);
        assertEquals(Optional.empty(), p.randomFree(taken, new Random(1)), "exhausted");
    }

    @Test
    void aHugePoolCountsPastALong() {
        Ipv6SubnetPool p = pool("'IPv6Network': 'fd00::/32', 'IPv6SubnetLen': 112");
        assertEquals(BigInteger.ONE.shiftLeft(80).subtract(BigInteger.ONE), p.capacity());
        assertEquals(Optional.of(c("fd00::1:0/112")), p.firstFree(List.of()));
    }

    @Test
    void randomFreeIsAmongTheFirstHundredFreeAndSkipsOverlaps() {
        Ipv6SubnetPool p = pool("'IPv6Network': 'fd00:10:244::/48'");
        Set<Ipv6Cidr> seen = new HashSet<>();
        Random r = new Random(7);
        List<Ipv6Cidr> taken = List.of(c("fd00:10:244:1::/64"), c("fd00:10:244:2::/63"));
        for (int i = 0; i < 2000; i++) seen.add(p.randomFree(taken, r).orElseThrow());
        assertEquals(100, seen.size(), "flannel picks among the first 100 free");
        assertFalse(seen.contains(c("fd00:10:244:1::/64")));
        assertFalse(seen.contains(c("fd00:10:244:3::/64")), "inside a taken /63");
        assertTrue(seen.contains(c("fd00:10:244:4::/64")));
        assertTrue(seen.contains(c("fd00:10:244:67::/64")));
        assertFalse(seen.contains(c("fd00:10:244:68::/64")));
    }

    @Test
    void containsNeedsTheLengthAndTheBounds() {
        Ipv6SubnetPool p = pool("'IPv6Network': 'fd00:10:244::/56', 'IPv6SubnetMin': 'fd00:10:244:10::', 'IPv6SubnetMax': 'fd00:10:244:20::'");
        assertTrue(p.contains(c("fd00:10:244:10::/64")));
        assertTrue(p.contains(c("fd00:10:244:20::/64")));
        assertFalse(p.contains(c("fd00:10:244:f::/64")));
        assertFalse(p.contains(c("fd00:10:244:21::/64")));
        assertFalse(p.contains(c("fd00:10:244:10::/80")));
        assertEquals(BigInteger.valueOf(17), p.capacity());
    }
}
