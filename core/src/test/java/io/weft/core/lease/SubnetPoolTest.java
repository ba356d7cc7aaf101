package io.weft.core.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.net.Ipv4Cidr;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubnetPoolTest {

    private static SubnetPool pool(String json) {
        return new SubnetPool(NetConfParser.parse(json.replace('\'', '"')));
    }

    private static Ipv4Cidr c(String s) {
        return Ipv4Cidr.parse(s);
    }

    /** Takes every subnet the pool hands out, one by one, as agents joining a cluster would. */
    private static List<Ipv4Cidr> drain(SubnetPool p) {
        List<Ipv4Cidr> taken = new ArrayList<>();
        for (Optional<Ipv4Cidr> next = p.firstFree(taken); next.isPresent(); next = p.firstFree(taken)) {
            assertFalse(taken.contains(next.get()), "handed out twice: " + next.get());
            taken.add(next.get());
            if (taken.size() > 70_000) throw new AssertionError("pool never runs out");
        }
        return taken;
    }

    @Test
    void flannelsDefaultPoolHas255SubnetsSkippingTheFirst() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16'}");
        assertEquals(255, p.capacity());
        assertEquals(Optional.of(c("10.244.1.0/24")), p.firstFree(List.of()));
        List<Ipv4Cidr> all = drain(p);
        assertEquals(255, all.size());
        assertEquals(c("10.244.1.0/24"), all.getFirst());
        assertEquals(c("10.244.255.0/24"), all.getLast());
        assertFalse(all.contains(c("10.244.0.0/24")), "the network's first subnet is never leased");
        assertEquals(Optional.empty(), p.firstFree(all), "pool exhausted");
    }

    @Test
    void firstFreeSkipsTakenSubnetsAndFillsHoles() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16'}");
        assertEquals(Optional.of(c("10.244.3.0/24")),
                p.firstFree(List.of(c("10.244.1.0/24"), c("10.244.2.0/24"), c("10.244.4.0/24"))));
        assertEquals(Optional.of(c("10.244.1.0/24")), p.firstFree(List.of(c("10.244.2.0/24"))), "a released subnet is reused");
    }

    @Test
    void takenSubnetsOutsideThePoolDoNotCount() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16'}");
        // a /25 at the same address, the network's first block, another network: none of them is 10.244.1.0/24
        assertEquals(Optional.of(c("10.244.1.0/24")),
                p.firstFree(List.of(c("10.244.1.0/25"), c("10.244.0.0/24"), c("10.245.1.0/24"))));
    }

    @Test
    void exhaustedPoolGivesEmpty() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.7.0', 'SubnetMax': '10.244.8.0'}");
        assertEquals(2, p.capacity());
        assertEquals(Optional.of(c("10.244.8.0/24")), p.firstFree(List.of(c("10.244.7.0/24"))));
        assertEquals(Optional.empty(), p.firstFree(List.of(c("10.244.7.0/24"), c("10.244.8.0/24"))));
    }

    @Test
    void subnetMinAndMaxAreRespected() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.10.0', 'SubnetMax': '10.244.12.0'}");
        assertEquals(3, p.capacity());
        assertEquals(List.of(c("10.244.10.0/24"), c("10.244.11.0/24"), c("10.244.12.0/24")), drain(p));
        assertTrue(p.contains(c("10.244.10.0/24")));
        assertTrue(p.contains(c("10.244.12.0/24")));
        assertFalse(p.contains(c("10.244.9.0/24")));
        assertFalse(p.contains(c("10.244.13.0/24")));
        assertFalse(p.contains(c("10.244.11.0/25")), "wrong length");
        assertFalse(p.contains(c("10.244.0.0/16")));
    }

    @Test
    void poolOfOne() {
        SubnetPool p = pool("{'Network': '10.244.0.0/16', 'SubnetMin': '10.244.77.0', 'SubnetMax': '10.244.77.0'}");
        assertEquals(1, p.capacity());
        assertEquals(List.of(c("10.244.77.0/24")), drain(p));
    }

    @Test
    void smallNetworksSplitInFour() {
        SubnetPool p28 = pool("{'Network': '192.168.7.0/28'}");
        assertEquals(3, p28.capacity());
        assertEquals(List.of(c("192.168.7.4/30"), c("192.168.7.8/30"), c("192.168.7.12/30")), drain(p28));

        SubnetPool p23 = pool("{'Network': '10.244.0.0/23'}");
        assertEquals(List.of(c("10.244.0.128/25"), c("10.244.1.0/25"), c("10.244.1.128/25")), drain(p23));

        SubnetPool p22 = pool("{'Network': '10.244.0.0/22'}");
        assertEquals(List.of(c("10.244.1.0/24"), c("10.244.2.0/24"), c("10.244.3.0/24")), drain(p22));
    }

    @Test
    void subnetLenSmallerThan24() {
        SubnetPool p = pool("{'Network': '10.0.0.0/8', 'SubnetLen': 12}");
        assertEquals(List.of(c("10.16.0.0/12"), c("10.32.0.0/12"), c("10.48.0.0/12"), c("10.64.0.0/12"),
                c("10.80.0.0/12"), c("10.96.0.0/12"), c("10.112.0.0/12"), c("10.128.0.0/12"), c("10.144.0.0/12"),
                c("10.160.0.0/12"), c("10.176.0.0/12"), c("10.192.0.0/12"), c("10.208.0.0/12"), c("10.224.0.0/12"),
                c("10.240.0.0/12")), drain(p));
    }

    @Test
    void highAddressesAndBigPools() {
        // 192.168/16 and 10/8 cross the signed-int boundary or run to the end of the network
        SubnetPool p = pool("{'Network': '192.168.0.0/16', 'SubnetLen': 26}");
        assertEquals(1023, p.capacity());
        List<Ipv4Cidr> all = drain(p);
        assertEquals(1023, all.size());
        assertEquals(c("192.168.0.64/26"), all.getFirst());
        assertEquals(c("192.168.255.192/26"), all.getLast());
        assertEquals(1023, new HashSet<>(all).size());

        NetConf conf = NetConfParser.parse("{\"Network\": \"10.0.0.0/8\"}");
        SubnetPool big = new SubnetPool(conf);
        assertEquals(65535, big.capacity());
        assertTrue(big.contains(c("10.255.255.0/24")));
        Set<Ipv4Cidr> allButLast = new HashSet<>();
        for (int i = 1; i < 65535; i++) allButLast.add(conf.subnetAt(i));
        assertEquals(Optional.of(c("10.255.255.0/24")), big.firstFree(allButLast));
        allButLast.add(c("10.255.255.0/24"));
        assertEquals(Optional.empty(), big.firstFree(allButLast));
    }
}
