package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.config.SubnetEnv;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** subnet.env as the CNI plugin needs it: written again when deleted or changed, and why not when it cannot be. */
class SubnetEnvFileTest {
    @TempDir
    Path dir;

    @Test
    void aDeletedOrChangedFileIsWrittenAgainAndAnUnwritableOneSaysWhy() throws Exception {
        SubnetEnv want = new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), Ipv4Cidr.parse("10.244.3.0/24"), 1450, true);
        Path file = dir.resolve("subnet.env");
        SubnetEnvFile env = new SubnetEnvFile(file, want);
        assertNull(env.ensure());
        assertEquals(want.render(), Files.readString(file));
        Files.delete(file);
        assertNull(env.ensure());
        assertEquals(want.render(), Files.readString(file));
        Files.writeString(file, "FLANNEL_SUBNET=10.9.9.1/24\n");
        assertNull(env.ensure());
        assertEquals(want.render(), Files.readString(file));
        Files.delete(file);
        Files.createDirectory(file);
        String why = env.ensure();
        assertTrue(why != null && why.startsWith("cannot write " + file + ": "), why);
        assertTrue(why.endsWith("(pods cannot be started on this node until it is written)"), why);
    }

    /** Both families' pairs, in the order flannel's WriteSubnetFile (pkg/subnet/subnet.go) writes them. */
    @Test
    void aDualStackNodeWritesBothFamiliesAsFlannelDoes() throws Exception {
        SubnetEnv want = new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), Ipv4Cidr.parse("10.244.3.0/24"), 1450, true,
                io.weft.core.net.Ipv6Cidr.parse("fd00:10:244::/56"), io.weft.core.net.Ipv6Cidr.parse("fd00:10:244:3::/64"));
        Path file = dir.resolve("subnet.env");
        assertNull(new SubnetEnvFile(file, want).ensure());
        assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\n"
                + "FLANNEL_IPV6_SUBNET=fd00:10:244:3::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", Files.readString(file));
    }
}
