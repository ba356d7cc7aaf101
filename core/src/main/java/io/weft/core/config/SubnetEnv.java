package io.weft.core.config;

import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * flannel's /run/flannel/subnet.env: what the CNI plugin reads to size the bridge and pick pod addresses. A node
 * has an IPv4 subnet, an IPv6 one, or both (flannel's pkg/subnet WriteSubnetFile writes each family's pair when
 * the family is enabled, and its CNI plugin's loadFlannelSubnetEnv wants at least one).
 *
 * @param network     the whole cluster network (FLANNEL_NETWORK), null on an IPv6-only node
 * @param subnet      this node's subnet; written as its first host address (FLANNEL_SUBNET=10.244.1.1/24), null on
 *                    an IPv6-only node
 * @param mtu         the overlay MTU (FLANNEL_MTU)
 * @param ipMasq      whether the agent masquerades traffic leaving the cluster (FLANNEL_IPMASQ)
 * @param ipv6Network the IPv6 cluster network (FLANNEL_IPV6_NETWORK), null without IPv6
 * @param ipv6Subnet  this node's IPv6 subnet, written as its first host address (FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64),
 *                    null without IPv6
 */
public record SubnetEnv(Ipv4Cidr network, Ipv4Cidr subnet, int mtu, boolean ipMasq, Ipv6Cidr ipv6Network, Ipv6Cidr ipv6Subnet) {

    /** An IPv4-only node. */
    public SubnetEnv(Ipv4Cidr network, Ipv4Cidr subnet, int mtu, boolean ipMasq) {
        this(network, subnet, mtu, ipMasq, null, null);
    }

    /** Lines in flannel's order: the IPv4 pair, the IPv6 pair, MTU, masquerade. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        if (subnet != null) {
            sb.append("FLANNEL_NETWORK=").append(network).append('\n');
            sb.append("FLANNEL_SUBNET=").append(subnet.firstHost()).append('/').append(subnet.prefix()).append('\n');
        }
        if (ipv6Subnet != null) {
            sb.append("FLANNEL_IPV6_NETWORK=").append(ipv6Network).append('\n');
            sb.append("FLANNEL_IPV6_SUBNET=").append(ipv6Subnet.firstHost()).append('/').append(ipv6Subnet.prefix()).append('\n');
        }
        return sb.append("FLANNEL_MTU=").append(mtu).append('\n').append("FLANNEL_IPMASQ=").append(ipMasq).append('\n').toString();
    }

    /**
     * Writes through a temporary file in the same directory and renames it over the target, so a reader
     * (the CNI plugin, at any moment) sees the old file or the new one, never half of one.
     */
    public void writeAtomically(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            // createTempFile makes it 0600; flannel's subnet.env is 0644, and non-root readers (monitoring,
            // other CNI chains) rely on that
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(StandardCharsets.UTF_8.encode(render()));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static SubnetEnv read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    public static SubnetEnv parse(String text, String source) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            int eq = l.indexOf('=');
            if (eq <= 0) throw new ConfigException(null, source + ": not KEY=VALUE: \"" + l + "\"");
            kv.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
        }
        boolean v6 = kv.containsKey("FLANNEL_IPV6_NETWORK") || kv.containsKey("FLANNEL_IPV6_SUBNET");
        boolean v4 = !v6 || kv.containsKey("FLANNEL_NETWORK") || kv.containsKey("FLANNEL_SUBNET");
        Ipv4Cidr network = v4 ? (Ipv4Cidr) cidr(kv, "FLANNEL_NETWORK", "FLANNEL_SUBNET", source, false) : null;
        Ipv4Cidr subnet = v4 ? (Ipv4Cidr) cidr(kv, "FLANNEL_SUBNET", "FLANNEL_NETWORK", source, true) : null;
        Ipv6Cidr ipv6Network = v6 ? (Ipv6Cidr) cidr(kv, "FLANNEL_IPV6_NETWORK", "FLANNEL_IPV6_SUBNET", source, false) : null;
        Ipv6Cidr ipv6Subnet = v6 ? (Ipv6Cidr) cidr(kv, "FLANNEL_IPV6_SUBNET", "FLANNEL_IPV6_NETWORK", source, true) : null;
        // A node subnet outside the cluster network is a file no agent writes: the CNI plugin would give the bridge
        // a gateway no route of the overlay leads to (and a second one beside the first), so it is refused.
        if (v4 && !network.contains(subnet)) {
            throw new ConfigException("FLANNEL_SUBNET", source + ": " + kv.get("FLANNEL_SUBNET") + " is not inside FLANNEL_NETWORK "
                    + network);
        }
        if (v6 && !ipv6Network.contains(ipv6Subnet)) {
            throw new ConfigException("FLANNEL_IPV6_SUBNET", source + ": " + kv.get("FLANNEL_IPV6_SUBNET")
                    + " is not inside FLANNEL_IPV6_NETWORK " + ipv6Network);
        }
        String mtuText = required(kv, "FLANNEL_MTU", source);
        int mtu;
        try {
            mtu = Integer.parseInt(mtuText);
        } catch (NumberFormatException e) {
            throw new ConfigException("FLANNEL_MTU", source + ": not a number: " + mtuText);
        }
        String masqText = kv.getOrDefault("FLANNEL_IPMASQ", "false");
        if (!masqText.equals("true") && !masqText.equals("false")) {
            throw new ConfigException("FLANNEL_IPMASQ", source + ": not true or false: " + masqText);
        }
        return new SubnetEnv(network, subnet, mtu, Boolean.parseBoolean(masqText), ipv6Network, ipv6Subnet);
    }

    /** A family's network or subnet; with neither of the pair there (only IPv4 can be asked for so), both families are missing. */
    private static IpCidr cidr(Map<String, String> kv, String key, String pair, String source, boolean lenient) {
        if (!kv.containsKey(key) && !kv.containsKey(pair)) {
            throw new ConfigException(key, source + " has no " + key + " (nor FLANNEL_IPV6_NETWORK)");
        }
        String v = required(kv, key, source);
        boolean ipv6 = key.contains("IPV6");
        try {
            IpCidr c = lenient ? IpCidr.parseLenient(v) : IpCidr.parse(v);
            if ((c.bits() == 128) != ipv6) throw new IllegalArgumentException("not an " + (ipv6 ? "IPv6" : "IPv4") + " network: " + v);
            return c;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, source + ": " + e.getMessage());
        }
    }

    private static String required(Map<String, String> kv, String key, String source) {
        String v = kv.get(key);
        if (v == null || v.isEmpty()) throw new ConfigException(key, source + " has no " + key);
        return v;
    }
}
