package io.weft.agent.reconcile;

import java.time.Instant;

/**
 * One kernel entry the agent wants (a {@code RouteEntry}, {@code NeighEntry} or {@code FdbEntry}), as the kernel has
 * it now: in place as wanted, or not ({@code have} then holds what the kernel has for the same key, or null when it
 * has nothing), and since when the agent has seen it so.
 */
public record EntryState(Object wanted, boolean present, Object have, Instant since) {

    /** "route", "neighbour" or "fdb". */
    public String kind() {
        return switch (wanted) {
            case io.weft.core.iproute.RouteEntry r -> "route";
            case io.weft.core.iproute.NeighEntry n -> "neighbour";
            case io.weft.core.iproute.FdbEntry f -> "fdb";
            default -> wanted.getClass().getSimpleName();
        };
    }
}
