package io.weft.agent.backend.userspace;

import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.net.InetSocketAddress;

/** One remote VTEP: its VtepMAC, the PublicIP its datagrams go to and come from, and its counters. */
public record Peer(MacAddress mac, Ipv4Address publicIp, InetSocketAddress endpoint, PeerCounters counters) {}
