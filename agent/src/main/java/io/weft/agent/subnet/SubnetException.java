package io.weft.agent.subnet;

/** A lease could not be had: pool exhausted, store unreachable, lease data unreadable. */
public class SubnetException extends RuntimeException {
    public SubnetException(String message) {
        super(message);
    }

    public SubnetException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The pool has no free subnet left; the same words whichever store found it. */
    public static SubnetException poolExhausted(io.weft.core.config.NetConf conf, io.weft.core.lease.SubnetPool pool) {
        return new SubnetException("subnet pool exhausted: all " + pool.capacity() + " /" + conf.subnetLen() + " subnets of "
                + conf.network() + " between SubnetMin " + conf.subnetMin().network() + " and SubnetMax "
                + conf.subnetMax().network() + " are leased");
    }

    /** The IPv6 pool has no free subnet left. */
    public static SubnetException ipv6PoolExhausted(io.weft.core.config.NetConf conf, io.weft.core.lease.Ipv6SubnetPool pool) {
        return new SubnetException("IPv6 subnet pool exhausted: all " + pool.capacity() + " /" + conf.ipv6SubnetLen()
                + " subnets of " + conf.ipv6Network() + " between IPv6SubnetMin " + conf.ipv6SubnetMin().network()
                + " and IPv6SubnetMax " + conf.ipv6SubnetMax().network() + " are leased");
    }
}
