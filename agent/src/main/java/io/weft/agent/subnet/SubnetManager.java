package io.weft.agent.subnet;

import io.weft.core.config.NetConf;
import io.weft.core.lease.LeaseRecord;
import java.io.IOException;
import java.util.List;

/**
 * Where leases live: a shared directory, etcd or the Kubernetes API. Like flannel's subnet.Manager,
 * small on purpose, so that a new store is one class.
 */
public interface SubnetManager extends AutoCloseable {

    /** The cluster's network configuration, as this store holds or was given it. */
    NetConf config() throws IOException;

    /**
     * Takes a subnet for this node: the one it already holds (same PublicIP) if any, so a restarted agent
     * keeps its pods' addresses; else the lowest free one. Publishes {@code attrs} with it.
     *
     * @throws SubnetException when the pool is exhausted or the store refuses
     */
    Lease acquire(LeaseRecord attrs) throws IOException;

    /**
     * Extends the lease's expiry and republishes its attributes.
     *
     * @throws SubnetException naming the store and what to do when it refuses the write; the lease held stays valid
     *                         until its expiry
     */
    Lease renew(Lease lease) throws IOException;

    /**
     * Every unexpired lease, this node's included, as the store's watch last reported them: a round of the agent
     * reads nothing from the store. A peer whose record turned unreadable is there with its last good record until
     * that would have expired ({@link LeaseBook}); this node's record, gone or changed in the store, is written again.
     */
    List<Lease> leases() throws IOException;

    /** What the agent knows of each subnet, unreadable and kept records included (for status pages). */
    List<LeaseBook.Entry> entries();

    /**
     * Signalled whenever the leases may have changed; the agent's loop waits on it, and whatever else should wake
     * the loop (the kernel watch, subnet.env) signals it too.
     */
    ChangeSignal changes();

    /**
     * Blocks until the set of leases may have changed or {@code timeoutMillis} passes; a spurious
     * return is allowed, callers re-read {@link #leases()}.
     */
    default void awaitChange(long timeoutMillis) throws IOException, InterruptedException {
        changes().await(timeoutMillis);
    }

    /**
     * Gives up a lease this start took, when the start fails before the node carries traffic, so that a failed
     * first start leaves no lease behind. A lease the node held before this start is never released.
     */
    default void release(Lease lease) {}

    /** Why this node's own record in the store cannot be written as it should be (refused, taken), or null. */
    default String problem() {
        return null;
    }

    /** Why the store's watch is down right now (every route stays meanwhile), or null while it is up. */
    default String connection() {
        return null;
    }

    /**
     * The public IP the store holds for this node, which overrides --public-ip (flannel's GetStoredPublicIP: the
     * Kubernetes node's node-public-ip annotation); empty where the store has no such thing.
     */
    default java.util.Optional<String> storedPublicIp() throws IOException {
        return java.util.Optional.empty();
    }

    /** As {@link #storedPublicIp()}, for --public-ipv6 (the node-public-ipv6 annotation). */
    default java.util.Optional<String> storedPublicIpv6() throws IOException {
        return java.util.Optional.empty();
    }

    @Override
    void close();
}
