package io.weft.core.lease;

import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv4Cidr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
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

    /**
     * A free subnet picked as flannel's LocalManager.allocateSubnet (pkg/subnet/etcd/local_manager.go) picks one: at
     * random among the first (up to) 100 free ones from SubnetMin on, where a subnet overlapping any taken one is not
     * free. Agents starting together then rarely race for the same key. Empty when none is free.
     */
    public Optional<Ipv4Cidr> randomFree(Collection<Ipv4Cidr> taken, RandomGenerator random) {
        List<Ipv4Cidr> held = new ArrayList<>(taken);
        List<Ipv4Cidr> candidates = new ArrayList<>();
        long step = 1L << (32 - conf.subnetLen());
        for (long i = 0; i < capacity() && candidates.size() < 100; i++) {
            Ipv4Cidr c = new Ipv4Cidr(conf.subnetMin().network().plus(i * step), conf.subnetLen());
            if (held.stream().noneMatch(c::overlaps)) candidates.add(c);
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(random.nextInt(candidates.size())));
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
