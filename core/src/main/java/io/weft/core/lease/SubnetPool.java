package io.weft.core.lease;

import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv4Cidr;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

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

    /** The lowest subnet no one holds, or empty when every subnet in the pool is taken. */
    public Optional<Ipv4Cidr> firstFree(Collection<Ipv4Cidr> taken) {
        Set<Ipv4Cidr> used = new HashSet<>(taken);
        long step = 1L << (32 - conf.subnetLen());
        for (long i = 0; i < capacity(); i++) {
            Ipv4Cidr c = new Ipv4Cidr(conf.subnetMin().network().plus(i * step), conf.subnetLen());
            if (!used.contains(c)) return Optional.of(c);
        }
        return Optional.empty();
    }
}
