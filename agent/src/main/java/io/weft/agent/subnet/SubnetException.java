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
}
