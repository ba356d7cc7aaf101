package io.weft.agent;

import io.weft.core.config.SubnetEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * subnet.env kept as the agent wants it: written when the node is ready, and written again when it goes or
 * someone changes it, since the CNI plugin refuses to plug pods in without it. A check reads ~100 bytes.
 */
final class SubnetEnvFile {
    private static final Logger LOG = Logger.getLogger(SubnetEnvFile.class.getName());
    private final Path file;
    private final SubnetEnv want;
    private boolean written;

    SubnetEnvFile(Path file, SubnetEnv want) {
        this.file = file;
        this.want = want;
    }

    Path file() {
        return file;
    }

    /** Writes the file if it is missing or different; returns why it could not, or null when it is in place. */
    String ensure() {
        String have;
        try {
            have = Files.readString(file);
        } catch (NoSuchFileException e) {
            have = null;
        } catch (IOException e) {
            have = "";
        }
        if (want.render().equals(have)) return null;
        try {
            want.writeAtomically(file);
        } catch (IOException e) {
            return "cannot write " + file + ": " + e.getMessage() + " (pods cannot be started on this node until it is written)";
        }
        if (!written) {
            LOG.info("wrote " + file + ":" + (want.subnet() == null ? "" : " FLANNEL_SUBNET=" + want.subnet().firstHost() + "/"
                    + want.subnet().prefix()) + (want.ipv6Subnet() == null ? "" : " FLANNEL_IPV6_SUBNET="
                    + want.ipv6Subnet().firstHost() + "/" + want.ipv6Subnet().prefix()) + " FLANNEL_MTU=" + want.mtu());
        } else {
            LOG.warning(file + " was " + (have == null ? "deleted" : "changed") + "; wrote it again");
        }
        written = true;
        return null;
    }
}
