package io.weft.core.lease;

import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv4Cidr;
import java.util.Collection;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** The subnets a cluster may lease: SubnetLen-sized blocks of Network between SubnetMin and SubnetMax. */
public final class SubnetPool {
    private final NetConf conf;

    public SubnetPool(NetConf conf) {
        this.conf = conf;
    }

    public long capacity() {
        return ((conf.subnetMax().network().unsigned() - conf.subnetMin().network().unsigned()) >>> (32 - conf.subnetLen())) + 1;
    }

    public boolean contains(Ipv4Cidr subnet) {
        return subnet.prefix() == conf.subnetLen()
                && subnet.network().compareTo(conf.subnetMin().network()) >= 0
                && subnet.network().compareTo(conf.subnetMax().network()) <= 0;
    }

    /** A free subnet, picked as flannel picks one (see {@link PoolWalk#randomFree}). Empty when none is free. */
    public Optional<Ipv4Cidr> randomFree(Collection<Ipv4Cidr> taken, RandomGenerator random) {
        return PoolWalk.randomFree(first(), this::next, taken, Ipv4Cidr::overlaps, random);
    }

    /** The lowest subnet no one holds, or empty when every subnet in the pool is taken. */
    public Optional<Ipv4Cidr> firstFree(Collection<Ipv4Cidr> taken) {
        return PoolWalk.firstFree(first(), this::next, taken);
    }

    private Ipv4Cidr first() {
        return new Ipv4Cidr(conf.subnetMin().network(), conf.subnetLen());
    }

    /** The block after {@code c}, or null past SubnetMax. */
    private Ipv4Cidr next(Ipv4Cidr c) {
        long step = 1L << (32 - conf.subnetLen());
        if (c.network().unsigned() + step > conf.subnetMax().network().unsigned()) return null;
        return new Ipv4Cidr(c.network().plus(step), conf.subnetLen());
    }
}
