package io.weft.agent;

import io.weft.agent.subnet.Lease;
import io.weft.agent.subnet.LeaseBook;
import java.util.List;

/**
 * A read-only snapshot of what the agent holds, for status pages: this node's lease, what it knows of every other
 * subnet (a peer whose record turned unreadable is there with its last good record, {@link LeaseBook.Entry#kept()}),
 * the store's problems and why the node is not ready.
 *
 * @param lease        this node's lease (null before it has one)
 * @param store        the lease store, as log lines name it
 * @param storeProblem why this node's record cannot be written (null when it can)
 * @param connection   why the store's watch is down (null while it is up)
 * @param subnets      every subnet the store holds a record for, this node's included
 * @param notReady     why the node is not ready; empty when it is
 */
public record AgentState(Lease lease, String store, String storeProblem, String connection, List<LeaseBook.Entry> subnets,
                         List<String> notReady) {
    public boolean ready() {
        return notReady.isEmpty();
    }
}
