package io.weft.agent.backend.wireguard.it;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpRunner;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A node whose WireGuard device is Debian's wireguard-go, set up by hand with {@code ip} and {@code wg} exactly as
 * flannel's wireguard backend sets up {@code flannel-wg} (pkg/backend/wireguard/device.go: newWGDevice, Configure or
 * ConfigureV6, addPeer; wireguard_network.go: the pod network's route, the peer's endpoint and allowed IPs = its
 * subnet), with its lease written into the lease directory the way flannel's would read, and a subnet.env, so pods
 * can be added. Nothing of weft's own WireGuard code configures it: it is the reference peer. IPv4
 * ({@link #FlannelWgGo(WgLab, LabCluster.Node, Ipv4Cidr, String)}) or an IPv6-only cluster in Mode ipv6
 * ({@link #ipv6Only}), where flannel-wg carries the IPv6 pod network and peers are dialled at their PublicIPv6.
 */
final class FlannelWgGo {
    static final Ipv6Cidr IPV6_NETWORK = Ipv6Cidr.parse("fd00:10:244::/56");

    final LabCluster.Node node;
    final IpCidr subnet;
    final String publicKey;
    final Path pskFile;

    /** An IPv4 node: flannel's Configure ({@code <subnet network>/32}, route 10.244.0.0/16). */
    FlannelWgGo(WgLab w, LabCluster.Node node, Ipv4Cidr subnet, String psk) throws Exception {
        this(w, node, subnet, Ipv4Cidr.parse("10.244.0.0/16"), psk);
        writeLease(w, LeaseRecord.wireguard(node.ip(), publicKey, 51820), subnet.toKey());
        new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), subnet, 1420, false).writeAtomically(node.subnetFile());
    }

    /**
     * An IPv6-only node (EnableIPv4 false, Mode ipv6): flannel's ConfigureV6 ({@code <subnet network>/128}, route
     * fd00:10:244::/56) on flannel-wg, and its lease {@code {"PublicIP":"0.0.0.0","PublicIPv6",...,"BackendV6Data"}}.
     */
    static FlannelWgGo ipv6Only(WgLab w, LabCluster.Node node, Ipv6Cidr subnet, String psk) throws Exception {
        FlannelWgGo g = new FlannelWgGo(w, node, subnet, IPV6_NETWORK, psk);
        g.writeLease(w, LeaseRecord.wireguard(null, node.ipv6(), g.publicKey, 51820, 51820), subnet.toKey());
        new SubnetEnv(null, null, 1420, false, IPV6_NETWORK, subnet).writeAtomically(node.subnetFile());
        return g;
    }

    private FlannelWgGo(WgLab w, LabCluster.Node node, IpCidr subnet, IpCidr network, String psk) throws Exception {
        this.node = node;
        this.subnet = subnet;
        Path key = node.dir().resolve("wgkey");
        Files.writeString(key, run("wg", "genkey").strip() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        this.publicKey = IpRunner.run(List.of("wg", "pubkey"), Files.readString(key)).orThrow().stdout().strip();
        this.pskFile = node.dir().resolve("wgpsk");
        Files.writeString(pskFile, psk == null ? "" : psk + "\n");
        Files.setPosixFilePermissions(pskFile, PosixFilePermissions.fromString("rw-------"));
        String ns = node.netns();
        // the device: wireguard-go in place of the missing kernel module, then flannel's configuration
        run("ip", "netns", "exec", ns, "wireguard-go", "flannel-wg");
        run("ip", "netns", "exec", ns, "wg", "set", "flannel-wg", "private-key", key.toString(), "listen-port", "51820");
        run("ip", "-n", ns, "link", "set", "dev", "flannel-wg", "mtu", "1420");
        run("ip", "-n", ns, "addr", "add", subnet.network() + "/" + subnet.network().bits(), "dev", "flannel-wg");
        run("ip", "-n", ns, "link", "set", "dev", "flannel-wg", "up");
        run("ip", "-n", ns, "route", "add", network.toString(), "dev", "flannel-wg", "scope", "link");
    }

    private void writeLease(WgLab w, LeaseRecord lease, String key) throws Exception {
        Path file = w.lab.leaseDir().resolve("subnets").resolve(key);
        Files.createDirectories(file.getParent());
        Files.writeString(file, lease.toJson(), StandardCharsets.UTF_8);
    }

    /** flannel's addPeer for another node's lease: key, PSK, endpoint PublicIP:Port, allowed IPs its subnet. */
    void addPeer(String publicKey, String endpointIp, IpCidr peerSubnet, int keepalive) {
        String endpoint = endpointIp.contains(":") ? "[" + endpointIp + "]" : endpointIp;
        run("ip", "netns", "exec", node.netns(), "wg", "set", "flannel-wg", "peer", publicKey, "preshared-key", pskFile.toString(),
                "persistent-keepalive", keepalive > 0 ? Integer.toString(keepalive) : "off",
                "endpoint", endpoint + ":51820", "allowed-ips", peerSubnet.toString());
    }

    void removePeer(String publicKey) {
        run("ip", "netns", "exec", node.netns(), "wg", "set", "flannel-wg", "peer", publicKey, "remove");
    }

    /** {@code wg show flannel-wg <what>} */
    String show(String what) {
        return run("ip", "netns", "exec", node.netns(), "wg", "show", "flannel-wg", what);
    }

    static String run(String... cmd) {
        return IpRunner.run(List.of(cmd), null).orThrow().stdout();
    }
}
