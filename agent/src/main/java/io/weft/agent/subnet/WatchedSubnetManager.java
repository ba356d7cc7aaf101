package io.weft.agent.subnet;

import java.io.IOException;
import java.time.Clock;
import java.util.List;

/**
 * What every lease store shares: its watch keeps a {@link LeaseBook} of every subnet's lease, and {@link OwnLease}
 * writes this node's record again when the store loses or changes it. A store adds how it talks to its backend:
 * {@link #catchUp()} and {@link #rewrite}.
 */
public abstract class WatchedSubnetManager implements SubnetManager {
    protected final ChangeSignal changed = new ChangeSignal();
    protected final LeaseBook book;
    protected final OwnLease own;

    /** @param store the store as log lines name it ("lease directory /x", "etcd /coreos.com/network") */
    protected WatchedSubnetManager(String store, Clock clock) {
        this.book = new LeaseBook(store, clock, changed);
        this.own = new OwnLease(book, clock, this::rewrite);
    }

    /** Starts the store's watch the first time; brings the book up to date with what the watch reported since. */
    protected abstract void catchUp() throws IOException;

    /** Writes this node's record again ({@link OwnLease.Writer}). */
    protected abstract Lease rewrite(Lease mine, boolean gone);

    @Override
    public final List<Lease> leases() throws IOException {
        catchUp();
        return own.withOwn(book.leases());
    }

    @Override
    public final List<LeaseBook.Entry> entries() {
        return book.entries();
    }

    @Override
    public final ChangeSignal changes() {
        return changed;
    }

    @Override
    public final String problem() {
        return own.problem();
    }
}
