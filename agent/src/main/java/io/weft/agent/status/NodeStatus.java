package io.weft.agent.status;

import java.util.List;
import java.util.Map;

/**
 * A running agent's view of its node, as {@code weftd status} shows it and {@code weftd trace} reads it: its lease,
 * its backend and what the kernel gave it, whether it is ready and why not, every peer with the kernel entries
 * wanted for it (in place or not, since when) and, on the userspace datapath, its counters; the firewall rules
 * weft keeps and the settings that decide pod traffic; what is wrong now, in words; the last errors logged.
 * Addresses and times are strings (ISO-8601, UTC) so that the JSON reads as it prints.
 *
 * @param notReady why the agent is not ready yet (null once it is)
 * @param lease    null before the agent holds one
 * @param problems what is wrong on this node now, one sentence each, empty when nothing is
 */
public record NodeStatus(String time, String hostname, boolean ready, String notReady, String network, Lease lease,
                         Backend backend, List<Peer> peers, List<Departed> departed, Firewall firewall,
                         List<String> problems, List<LogLine> errors) {

    /** This node's hold on its subnet and where it is kept ({@code store}: the lease directory, etcd, Kubernetes). */
    public record Lease(String subnet, String publicIp, String expires, String store) {}

    /**
     * How this node carries pod traffic.
     *
     * @param type        "vxlan", "host-gw" or "wireguard"
     * @param datapath    "kernel" or "userspace" (vxlan, wireguard), "routes" (host-gw)
     * @param device      the VTEP ({@code flannel.1}), {@code flannel-wg}, or the underlay for host-gw
     * @param port        the tunnel's UDP port: VXLAN's, or WireGuard's listen port; 0 for host-gw
     * @param present     whether the device is there, up, as configured
     * @param features    what the kernel gave the datapath (offloads, GSO, GRO) or the device's VXLAN settings
     * @param strangers   the userspace datapath's counters for datagrams from addresses that are no peer; null on
     *                    the kernel's datapath
     */
    public record Backend(String type, String datapath, String device, boolean present, int vni, int port, int mtu,
                          String vtepMac, String underlay, String underlayAddress, int underlayMtu, String features,
                          Counters strangers) {}

    /**
     * Another node, from its lease, with the kernel entries this node keeps for it.
     *
     * @param vtepMac   null for host-gw and wireguard
     * @param publicKey the peer's WireGuard public key (wireguard), else null
     * @param counters  the userspace datapath's counters for this peer; null on the kernel's datapath
     */
    public record Peer(String subnet, String publicIp, String backendType, String vtepMac, String publicKey, String leaseExpires,
                       List<Entry> entries, Counters counters) {}

    /**
     * One kernel entry wanted for a peer.
     *
     * @param kind  "route", "neighbour", "fdb" or "wireguard peer"
     * @param want  the entry as iproute2 writes it
     * @param have  what the kernel has for the same key when it differs (null: nothing)
     * @param since when the agent first saw it in its present state
     */
    public record Entry(String kind, String want, boolean present, String have, String since) {}

    /** Packets and bytes the userspace datapath exchanged with a peer, and its drops by reason (label → count). */
    public record Counters(long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops) {}

    /** A peer whose lease went (removed or expired) while this agent ran. */
    public record Departed(String subnet, String publicIp, String time) {}

    /**
     * The firewall as it bears on pod traffic.
     *
     * @param rules          weft's chains or tables: name, state (present, missing, changed, off), detail
     * @param forwardPolicy  the iptables FORWARD policy ("ACCEPT", "DROP"), null without iptables
     * @param forwardDropped packets the FORWARD policy dropped so far
     * @param vxlanPortDrops rules of anyone's that drop the VXLAN UDP port, as iptables-save or nft print them
     */
    public record Firewall(List<Rule> rules, String forwardPolicy, long forwardDropped, List<String> vxlanPortDrops) {}

    public record Rule(String name, String state, String detail) {}

    /** A warning or error the agent logged. */
    public record LogLine(String time, String level, String message) {}

    /** The peer whose subnet holds {@code ip} (dotted quad), or null. */
    public Peer peerFor(String ip) {
        io.weft.core.net.Ipv4Address a = io.weft.core.net.Ipv4Address.parse(ip);
        for (Peer p : peers) {
            if (p.subnet().indexOf(':') < 0 && io.weft.core.net.Ipv4Cidr.parse(p.subnet()).contains(a)) return p; // an IPv6-only peer holds no IPv4
        }
        return null;
    }
}
