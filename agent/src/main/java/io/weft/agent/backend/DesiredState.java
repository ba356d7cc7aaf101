package io.weft.agent.backend;

import io.weft.core.iproute.FdbEntry;
import io.weft.core.iproute.NeighEntry;
import io.weft.core.iproute.RouteEntry;
import java.util.Set;

/** The kernel entries a backend wants for the current set of remote leases. */
public record DesiredState(Set<RouteEntry> routes, Set<NeighEntry> neighbours, Set<FdbEntry> fdb) {
    public static DesiredState empty() {
        return new DesiredState(Set.of(), Set.of(), Set.of());
    }
}
