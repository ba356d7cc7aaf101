package io.weft.core.iproute;

import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv6Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A WireGuard device's configuration through {@code wg} (wireguard-tools), the same command layer as ip: the
 * kernel's device and wireguard-go's answer it alike. Keys never appear on a command line or in an error: the
 * private key is read by {@code wg} from its 0600 file, a pre-shared key goes in on stdin, and what
 * {@code wg show dump} prints of them is reduced to a digest before it leaves this class.
 */
public final class WgTool {
    /** Where wireguard-go (and wg) keep the userspace devices' control sockets; shared by all network namespaces. */
    public static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    private final Netns ns;

    public WgTool(Netns ns) {
        this.ns = ns;
    }

    /** A peer as {@code wg set ... peer} takes it. */
    public record PeerSpec(String publicKey, String presharedKey, InetSocketAddress endpoint, List<IpCidr> allowedIps,
                           int persistentKeepalive) {
        /** What {@link PeerState#presharedKeyDigest} would read for this peer. */
        public String presharedKeyDigest() {
            return digest(presharedKey);
        }

        @Override
        public String toString() {
            return "peer " + publicKey + " endpoint " + endpoint + " allowed-ips " + allowedIps + " keepalive "
                    + persistentKeepalive + (presharedKey == null ? "" : " psk (set)");
        }
    }

    /** A peer as the device has it; the pre-shared key only as a digest ("" for none). */
    public record PeerState(String publicKey, String presharedKeyDigest, String endpoint, List<IpCidr> allowedIps,
                            long latestHandshakeEpochSeconds, long rxBytes, long txBytes, int persistentKeepalive) {}

    /** The device: its public key, listen port and peers (the private key stays out). */
    public record Device(String publicKey, int listenPort, List<PeerState> peers) {}

    /** Whether wireguard-tools' {@code wg} is installed. */
    public static boolean installed() {
        return onPath("wg");
    }

    /** Whether wireguard-go is installed. */
    public static boolean userspaceInstalled() {
        return onPath("wireguard-go");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    /** The device's state, or empty when {@code dev} is no WireGuard device (or nothing answers for it). */
    public Optional<Device> show(String dev) {
        IpRunner.Result r = IpRunner.run(ns.exec(List.of("wg", "show", dev, "dump")), null);
        if (r.exitCode() != 0) return Optional.empty();
        return Optional.of(parseDump(r.stdout()));
    }

    /** Sets the private key (read by wg from {@code privateKeyFile}) and the listen port. */
    public void setDevice(String dev, Path privateKeyFile, int listenPort) {
        run(List.of("wg", "set", dev, "listen-port", Integer.toString(listenPort), "private-key", privateKeyFile.toString()), null);
    }

    /** Adds or updates a peer; its allowed IPs replace the old ones, its pre-shared key goes in on stdin. */
    public void setPeer(String dev, PeerSpec p) {
        List<String> cmd = new ArrayList<>(List.of("wg", "set", dev, "peer", p.publicKey()));
        cmd.add("preshared-key");
        cmd.add(p.presharedKey() == null ? "/dev/null" : "/dev/stdin");
        if (p.endpoint() != null) {
            cmd.add("endpoint");
            cmd.add(endpoint(p.endpoint()));
        }
        cmd.add("persistent-keepalive");
        cmd.add(p.persistentKeepalive() > 0 ? Integer.toString(p.persistentKeepalive()) : "off");
        cmd.add("allowed-ips");
        cmd.add(String.join(",", p.allowedIps().stream().map(IpCidr::toString).toList()));
        run(cmd, p.presharedKey() == null ? null : p.presharedKey() + "\n");
    }

    public void removePeer(String dev, String publicKey) {
        run(List.of("wg", "set", dev, "peer", publicKey, "remove"), null);
    }

    /**
     * Starts wireguard-go for {@code dev} the way wg-quick does on kernels without the module: it creates the TUN,
     * serves {@code wg} on {@code /var/run/wireguard/<dev>.sock} and detaches, so the device outlives weftd as a
     * kernel device would. Its log goes to {@code log}.
     */
    public void startUserspace(String dev, Path log) {
        List<String> cmd = ns.exec(List.of("wireguard-go", dev));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().remove("WG_PROCESS_FOREGROUND");
        try {
            Process p = pb.start();
            int code = IpRunner.waitFor(p, cmd);
            if (code != 0) throw new IpException(cmd, code, "wireguard-go exited with " + code + " (see " + log + ")", null);
        } catch (java.io.IOException e) {
            throw new IpException(cmd, 127, "cannot start wireguard-go: " + e.getMessage(), null);
        }
    }

    /**
     * An endpoint as {@code wg} writes and reads it: {@code 172.31.0.2:51820}, or {@code [fd00:31::2]:51821} (the
     * address in its short form, as {@code wg show} prints it, so the two compare as text).
     */
    public static String endpoint(InetSocketAddress e) {
        String host = host(e);
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + e.getPort();
    }

    /** The endpoint's address alone, IPv6 in its short form: how logs and metrics name a peer. */
    public static String host(InetSocketAddress e) {
        return e.getAddress() instanceof Inet6Address a ? Ipv6Address.of(a.getAddress(), 0).toString() : e.getAddress().getHostAddress();
    }

    /** Whether a wireguard-go control socket for {@code dev} exists (a userspace device is or was running). */
    public static boolean userspaceSocketExists(String dev) {
        return Files.exists(SOCKET_DIR.resolve(dev + ".sock"));
    }

    private void run(List<String> cmd, String stdin) {
        List<String> full = ns.exec(cmd);
        IpRunner.Result r = IpRunner.run(full, stdin);
        if (r.exitCode() != 0) throw new IpException(full, r.exitCode(), r.stderr(), null);
    }

    /**
     * Parses {@code wg show <dev> dump}: the device line (private key, public key, port, fwmark), then one line per
     * peer (public key, pre-shared key, endpoint, allowed IPs, latest handshake, rx, tx, keepalive), tab separated.
     */
    static Device parseDump(String dump) {
        String[] lines = dump.strip().split("\n");
        String[] dev = lines[0].split("\t");
        List<PeerState> peers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t");
            if (f.length < 8) continue;
            List<IpCidr> allowed = new ArrayList<>();
            if (!f[3].equals("(none)")) {
                for (String a : f[3].split(",")) allowed.add(IpCidr.parseLenient(a));
            }
            peers.add(new PeerState(f[0], f[1].equals("(none)") ? "" : digest(f[1]), f[2].equals("(none)") ? "" : f[2],
                    List.copyOf(allowed), Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]),
                    f[7].equals("off") ? 0 : Integer.parseInt(f[7])));
        }
        return new Device(dev.length > 1 ? dev[1] : "", dev.length > 2 ? Integer.parseInt(dev[2]) : 0, List.copyOf(peers));
    }

    /** SHA-256 of a key in base64, "" for none: enough to see whether two pre-shared keys are the same. */
    static String digest(String key) {
        if (key == null || key.isEmpty()) return "";
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
