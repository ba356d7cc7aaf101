package io.weft.agent.backend.userspace;

import io.weft.core.net.IpAddress;
import io.weft.core.net.MacAddress;
import java.net.InetSocketAddress;

/**
 * One remote VTEP: its VtepMAC, the PublicIP (PublicIPv6 for the {@code flannel-v6} VTEP) its datagrams go to and come
 * from, and its counters.
 */
public record Peer(MacAddress mac, IpAddress publicIp, InetSocketAddress endpoint, PeerCounters counters) {}
