package io.weft.core.config;

import io.weft.core.net.Ipv4Cidr;
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
 * flannel's /run/flannel/subnet.env: what the CNI plugin reads to size the bridge and pick pod addresses.
 *
 * @param network the whole cluster network (FLANNEL_NETWORK)
 * @param subnet  this node's subnet; written as its first host address (FLANNEL_SUBNET=10.244.1.1/24)
 * @param mtu     the overlay MTU (FLANNEL_MTU)
 * @param ipMasq  whether the agent masquerades traffic leaving the cluster (FLANNEL_IPMASQ)
 */
public record SubnetEnv(Ipv4Cidr network, Ipv4Cidr subnet, int mtu, boolean ipMasq) {

    public String render() {
        return "FLANNEL_NETWORK=" + network + "\n"
                + "FLANNEL_SUBNET=" + subnet.firstHost() + "/" + subnet.prefix() + "\n"
                + "FLANNEL_MTU=" + mtu + "\n"
                + "FLANNEL_IPMASQ=" + ipMasq + "\n";
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
        Ipv4Cidr network = cidr(kv, "FLANNEL_NETWORK", source, false);
        Ipv4Cidr subnet = cidr(kv, "FLANNEL_SUBNET", source, true);
        // A node subnet outside the cluster network is a file no agent writes: the CNI plugin would give the bridge
        // a gateway no route of the overlay leads to (and a second one beside the first), so it is refused.
        if (!network.contains(subnet)) {
            throw new ConfigException("FLANNEL_SUBNET", source + ": " + kv.get("FLANNEL_SUBNET") + " is not inside FLANNEL_NETWORK "
                    + network);
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
        return new SubnetEnv(network, subnet, mtu, Boolean.parseBoolean(masqText));
    }

    private static Ipv4Cidr cidr(Map<String, String> kv, String key, String source, boolean lenient) {
        String v = required(kv, key, source);
        try {
            return lenient ? Ipv4Cidr.parseLenient(v) : Ipv4Cidr.parse(v);
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
