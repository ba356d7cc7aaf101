package io.weft.core.lease;

import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv6Cidr;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The IPv6 subnets a cluster may lease: IPv6SubnetLen-sized blocks of IPv6Network between IPv6SubnetMin and
 * IPv6SubnetMax, the IPv6 half of {@link SubnetPool}. The pool may hold far more subnets than a long counts, so walks
 * stop at the first free one found (or the 100th, as flannel's allocateSubnet does).
 */
public final class Ipv6SubnetPool {
    private final NetConf conf;

    public Ipv6SubnetPool(NetConf conf) {
        if (!conf.enableIPv6()) throw new IllegalArgumentException("EnableIPv6 is off: there is no IPv6 pool");
        this.conf = conf;
    }

    /** How many subnets the pool holds (2^64 and more for a /48 cut into /112s). */
    public BigInteger capacity() {
        BigInteger min = new BigInteger(1, conf.ipv6SubnetMin().network().toBytes());
        BigInteger max = new BigInteger(1, conf.ipv6SubnetMax().network().toBytes());
        return max.subtract(min).shiftRight(128 - conf.ipv6SubnetLen()).add(BigInteger.ONE);
    }

    public boolean contains(Ipv6Cidr subnet) {
        return subnet.prefix() == conf.ipv6SubnetLen()
                && subnet.network().compareTo(conf.ipv6SubnetMin().network()) >= 0
                && subnet.network().compareTo(conf.ipv6SubnetMax().network()) <= 0;
    }

    /**
     * A free subnet picked as flannel's LocalManager.allocateSubnet (pkg/subnet/etcd/local_manager.go, its
     * OuterLoopv6) picks one: at random among the first (up to) 100 free ones from IPv6SubnetMin on, a subnet
     * overlapping any taken one not being free. Empty when none is free.
     */
    public Optional<Ipv6Cidr> randomFree(Collection<Ipv6Cidr> taken, RandomGenerator random) {
        List<Ipv6Cidr> held = new ArrayList<>(taken);
        List<Ipv6Cidr> candidates = new ArrayList<>();
        for (Ipv6Cidr c = conf.ipv6SubnetMin(); c != null && c.compareTo(conf.ipv6SubnetMax()) <= 0
                && candidates.size() < 100; c = c.next()) {
            Ipv6Cidr cc = c;
            if (held.stream().noneMatch(cc::overlaps)) candidates.add(c);
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(random.nextInt(candidates.size())));
    }

    /** The lowest subnet no one holds, or empty when every subnet in the pool is taken. */
    public Optional<Ipv6Cidr> firstFree(Collection<Ipv6Cidr> taken) {
        Set<Ipv6Cidr> used = new HashSet<>(taken);
        for (Ipv6Cidr c = conf.ipv6SubnetMin(); c != null && c.compareTo(conf.ipv6SubnetMax()) <= 0; c = c.next()) {
            if (!used.contains(c)) return Optional.of(c);
        }
        return Optional.empty();
    }
}
