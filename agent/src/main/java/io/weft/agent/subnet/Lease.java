package io.weft.agent.subnet;

import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import java.time.Instant;

/** A node's hold on one subnet: the subnet, what the node published with it, and when it runs out. */
public record Lease(Ipv4Cidr subnet, LeaseRecord attrs, Instant expiration) {}
