package io.weft.core.lease;

import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv6Cidr;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The IPv6 subnets a cluster may lease: IPv6SubnetLen-sized blocks of IPv6Network between IPv6SubnetMin and
 * IPv6SubnetMax, the IPv6 half of {@link SubnetPool}.
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

    /** A free subnet, picked as flannel picks one (see {@link PoolWalk#randomFree}). Empty when none is free. */
    public Optional<Ipv6Cidr> randomFree(Collection<Ipv6Cidr> taken, RandomGenerator random) {
        return PoolWalk.randomFree(conf.ipv6SubnetMin(), this::next, taken, Ipv6Cidr::overlaps, random);
    }

    /** The lowest subnet no one holds, or empty when every subnet in the pool is taken. */
    public Optional<Ipv6Cidr> firstFree(Collection<Ipv6Cidr> taken) {
        return PoolWalk.firstFree(conf.ipv6SubnetMin(), this::next, taken);
    }

    /** The block after {@code c}, or null past IPv6SubnetMax. */
    private Ipv6Cidr next(Ipv6Cidr c) {
        Ipv6Cidr n = c.next();
        return n != null && n.compareTo(conf.ipv6SubnetMax()) <= 0 ? n : null;
    }
}
