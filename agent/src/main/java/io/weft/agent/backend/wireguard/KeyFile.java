package io.weft.agent.backend.wireguard;

import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.wireguard.crypto.X25519;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Set;
import java.util.logging.Logger;

/**
 * This node's WireGuard private key, where flannel keeps it (pkg/backend/wireguard/device.go, setupKeys):
 * {@code /run/flannel/wgkey}, or {@code $WIREGUARD_KEY_FILE}; base64 as {@code wg genkey} writes it. Made once and
 * kept across restarts, so peers keep our public key. Unlike flannel (0400 after writing), the file is created with
 * mode 0600 before the key is written, and a readable-by-others key file is tightened with a warning. No error or log
 * line shows the key.
 */
public final class KeyFile {
    private static final Logger LOG = Logger.getLogger(KeyFile.class.getName());
    public static final Path DEFAULT = Path.of("/run/flannel/wgkey");
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private KeyFile() {}

    /** $WIREGUARD_KEY_FILE if set, else /run/flannel/wgkey. */
    public static Path location() {
        String env = System.getenv("WIREGUARD_KEY_FILE");
        return env != null && !env.isBlank() ? Path.of(env) : DEFAULT;
    }

    /** The private key in {@code file}, made (and written with mode 0600) if the file does not exist. */
    public static byte[] loadOrCreate(Path file) {
        try {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.US_ASCII);
            } catch (NoSuchFileException e) {
                return create(file);
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(text.strip());
            } catch (IllegalArgumentException e) {
                key = new byte[0];
            }
            if (key.length != 32) {
                throw new BackendException("WireGuard key file " + file + " does not hold a key (base64 of 32 bytes, as `wg genkey`"
                        + " writes); delete it to have a new key made, or set WIREGUARD_KEY_FILE");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!OWNER_RW.containsAll(perms)) {
                Files.setPosixFilePermissions(file, OWNER_RW);
                LOG.warning("WireGuard key file " + file + " was readable by others (" + PosixFilePermissions.toString(perms)
                        + "); set it to rw-------");
            }
            return key;
        } catch (IOException e) {
            throw new BackendException("cannot read WireGuard key file " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] create(Path file) throws IOException {
        byte[] key = X25519.generatePrivate();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".wgkey", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_RW));
        try {
            Files.writeString(tmp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        LOG.info("made a new WireGuard private key in " + file);
        return key;
    }
}
