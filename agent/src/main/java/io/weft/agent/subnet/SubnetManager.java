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

    /** Extends the lease's expiry and republishes its attributes. */
    Lease renew(Lease lease) throws IOException;

    /** Every unexpired lease, this node's included. */
    List<Lease> leases() throws IOException;

    /**
     * Blocks until the set of leases may have changed or {@code timeoutMillis} passes; a spurious
     * return is allowed, callers re-read {@link #leases()}.
     */
    void awaitChange(long timeoutMillis) throws IOException, InterruptedException;

    /**
     * The public IP the store holds for this node, which overrides --public-ip (flannel's GetStoredPublicIP: the
     * Kubernetes node's node-public-ip annotation); empty where the store has no such thing.
     */
    default java.util.Optional<String> storedPublicIp() throws IOException {
        return java.util.Optional.empty();
    }

    @Override
    void close();
}
