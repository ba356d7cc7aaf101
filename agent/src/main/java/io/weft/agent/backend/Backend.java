package io.weft.agent.backend;

import io.weft.agent.subnet.Lease;
import io.weft.core.lease.LeaseRecord;
import java.util.List;
import java.util.Set;

/**
 * One way of carrying pod traffic between nodes (flannel's Backend, as small): it owns a device, says what
 * to publish in the lease, and computes the kernel entries it wants for the other nodes' leases. The
 * reconciler, not the backend, compares those with the kernel and applies the difference.
 *
 * <p>Lifecycle, in this order: {@link #prepare()} (create or adopt the device; must not disturb a healthy one
 * left by the previous run), then {@link #activate(Lease)} once this node's lease is known, then
 * {@link #desired(Lease, List)} and {@link #ensureDevice(Lease)} on every reconcile round. {@link #close()} on
 * SIGTERM leaves the kernel datapath in place. This node's {@link Lease} carries both of its subnets, either of which
 * is null when its family is off.
 */
public interface Backend extends AutoCloseable {

    /** The BackendType published in leases: "vxlan" or "host-gw". */
    String type();

    /** Creates or adopts the device and returns the lease attributes (PublicIP, BackendData) to publish. */
    LeaseRecord prepare();

    /** Gives the device its addresses for this node's subnets. Idempotent. */
    void activate(Lease local);

    /** The MTU pods should use (FLANNEL_MTU). */
    int mtu();

    /** Routes, neighbours and FDB entries wanted for {@code remotes} (every lease but this node's). */
    DesiredState desired(Lease local, List<Lease> remotes);

    /** Devices whose routes, permanent neighbours and FDB entries inside the cluster Network are ours to manage. */
    Set<String> ownedDevices();

    /** Checks the device is still there and as configured; recreates it if someone deleted it. Returns true if it acted. */
    boolean ensureDevice(Lease local);

    /**
     * Removes what {@link #prepare()} created on this node (a device it made; one it adopted stays), when the start
     * fails before the node carries traffic: a failed first start leaves the node as it found it.
     */
    default void abandon() {}

    /** Leaves the kernel datapath in place: only the agent's own resources are released. */
    @Override
    void close();
}
