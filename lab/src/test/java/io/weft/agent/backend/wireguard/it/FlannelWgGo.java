package io.weft.agent.backend.wireguard.it;

import io.weft.lab.cluster.LabCluster;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpRunner;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Cidr;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A node whose WireGuard device is Debian's wireguard-go, set up by hand with {@code ip} and {@code wg} exactly as
 * flannel's wireguard backend sets up {@code flannel-wg} (pkg/backend/wireguard/device.go: newWGDevice, Configure,
 * addPeer; wireguard_network.go: the Network route, the peer's endpoint PublicIP:Port and allowed IPs = its subnet),
 * with its lease written into the lease directory the way flannel's would read, and a subnet.env, so pods can be
 * added. Nothing of weft's own WireGuard code configures it: it is the reference peer.
 */
final class FlannelWgGo {
    final LabCluster.Node node;
    final Ipv4Cidr subnet;
    final String publicKey;
    final Path pskFile;

    FlannelWgGo(WgLab w, LabCluster.Node node, Ipv4Cidr subnet, String psk) throws Exception {
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
        run("ip", "-n", ns, "addr", "add", subnet.network() + "/32", "dev", "flannel-wg");
        run("ip", "-n", ns, "link", "set", "dev", "flannel-wg", "up");
        run("ip", "-n", ns, "route", "add", "10.244.0.0/16", "dev", "flannel-wg", "scope", "link");
        LeaseRecord lease = LeaseRecord.wireguard(node.ip(), publicKey, 51820);
        Path file = w.lab.leaseDir().resolve("subnets").resolve(subnet.toKey());
        Files.createDirectories(file.getParent());
        Files.writeString(file, lease.toJson(), StandardCharsets.UTF_8);
        new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), subnet, 1420, false).writeAtomically(node.subnetFile());
    }

    /** flannel's addPeer for another node's lease: key, PSK, endpoint PublicIP:Port, allowed IPs its subnet. */
    void addPeer(String publicKey, String endpointIp, Ipv4Cidr peerSubnet, int keepalive) {
        run("ip", "netns", "exec", node.netns(), "wg", "set", "flannel-wg", "peer", publicKey, "preshared-key", pskFile.toString(),
                "persistent-keepalive", keepalive > 0 ? Integer.toString(keepalive) : "off",
                "endpoint", endpointIp + ":51820", "allowed-ips", peerSubnet.toString());
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
