package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetEnvTest {

    private static final SubnetEnv ENV = new SubnetEnv(Ipv4Cidr.parse("10.244.0.0/16"), Ipv4Cidr.parse("10.244.1.0/24"),
            1450, true);

    private static final String FLANNEL_WRITTEN = """
            FLANNEL_NETWORK=10.244.0.0/16
            FLANNEL_SUBNET=10.244.1.1/24
            FLANNEL_MTU=1450
            FLANNEL_IPMASQ=true
            """;

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void rendersExactlyWhatFlannelWrites() {
        assertEquals(FLANNEL_WRITTEN, ENV.render());
        assertEquals("""
                FLANNEL_NETWORK=10.0.0.0/8
                FLANNEL_SUBNET=10.7.0.129/25
                FLANNEL_MTU=8950
                FLANNEL_IPMASQ=false
                """, new SubnetEnv(Ipv4Cidr.parse("10.0.0.0/8"), Ipv4Cidr.parse("10.7.0.128/25"), 8950, false).render());
    }

    @Test
    void parsesFlannelsFileBackToTheSubnetNotTheGatewayAddress() {
        SubnetEnv e = SubnetEnv.parse(FLANNEL_WRITTEN, "subnet.env");
        assertEquals(ENV, e);
        assertEquals(Ipv4Cidr.parse("10.244.1.0/24"), e.subnet());
        assertEquals(1450, e.mtu());
        assertTrue(e.ipMasq());
    }

    @Test
    void roundTrips() {
        for (SubnetEnv e : List.of(ENV,
                new SubnetEnv(Ipv4Cidr.parse("10.0.0.0/8"), Ipv4Cidr.parse("10.255.255.0/24"), 1500, false),
                new SubnetEnv(Ipv4Cidr.parse("192.168.0.0/24"), Ipv4Cidr.parse("192.168.0.252/30"), 576, true))) {
            assertEquals(e, SubnetEnv.parse(e.render(), "test"));
        }
    }

    @Test
    void toleratesCommentsBlankLinesCrlfAndOrder() {
        String text = "# written by hand\r\n\r\nFLANNEL_MTU = 1400\r\nFLANNEL_SUBNET=10.244.9.1/24\r\n"
                + "FLANNEL_NETWORK=10.244.0.0/16\r\n";
        SubnetEnv e = SubnetEnv.parse(text, "x");
        assertEquals(Ipv4Cidr.parse("10.244.9.0/24"), e.subnet());
        assertEquals(1400, e.mtu());
        assertFalse(e.ipMasq(), "FLANNEL_IPMASQ defaults to false");
    }

    @Test
    void missingKeyIsNamed() {
        for (String key : List.of("FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU")) {
            String text = FLANNEL_WRITTEN.lines().filter(l -> !l.startsWith(key)).reduce("", (a, b) -> a + b + "\n");
            ConfigException e = assertThrows(ConfigException.class, () -> SubnetEnv.parse(text, "/run/flannel/subnet.env"));
            assertEquals(key, e.field());
            assertTrue(e.getMessage().contains("/run/flannel/subnet.env has no " + key), e.getMessage());
        }
        ConfigException empty = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("FLANNEL_MTU=1450", "FLANNEL_MTU="), "f"));
        assertEquals("FLANNEL_MTU", empty.field());
    }

    @Test
    void badValuesAreNamed() {
        ConfigException mtu = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("1450", "14x0"), "f"));
        assertEquals("FLANNEL_MTU", mtu.field());
        assertTrue(mtu.getMessage().contains("14x0"), mtu.getMessage());

        ConfigException net = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("10.244.0.0/16", "10.244.0.0/99"), "f"));
        assertEquals("FLANNEL_NETWORK", net.field());
        assertTrue(net.getMessage().contains("10.244.0.0/99"), net.getMessage());

        ConfigException sub = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("10.244.1.1/24", "10.244.1.1"), "f"));
        assertEquals("FLANNEL_SUBNET", sub.field());

        ConfigException outside = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("10.244.1.1/24", "10.9.1.1/24"), "/run/flannel/subnet.env"));
        assertEquals("FLANNEL_SUBNET", outside.field());
        assertEquals("FLANNEL_SUBNET: /run/flannel/subnet.env: 10.9.1.1/24 is not inside FLANNEL_NETWORK 10.244.0.0/16", outside.getMessage(),
                "the field, the file and both networks named");
        ConfigException wider = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("10.244.1.1/24", "10.244.1.1/8"), "f"));
        assertEquals("FLANNEL_SUBNET", wider.field(), "a subnet wider than the network is not inside it either");

        ConfigException masq = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN.replace("IPMASQ=true", "IPMASQ=yes"), "f"));
        assertEquals("FLANNEL_IPMASQ", masq.field());

        ConfigException line = assertThrows(ConfigException.class,
                () -> SubnetEnv.parse(FLANNEL_WRITTEN + "garbage\n", "/x/subnet.env"));
        assertTrue(line.getMessage().contains("/x/subnet.env") && line.getMessage().contains("garbage"), line.getMessage());
    }

    /** flannel's pkg/subnet WriteSubnetFile: each enabled family's pair, IPv4 first, then MTU and masquerade. */
    @Test
    void dualStackAndIpv6OnlyFilesAreFlannels() {
        String dual = """
                FLANNEL_NETWORK=10.244.0.0/16
                FLANNEL_SUBNET=10.244.1.1/24
                FLANNEL_IPV6_NETWORK=fd00:10:244::/56
                FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64
                FLANNEL_MTU=1450
                FLANNEL_IPMASQ=true
                """;
        SubnetEnv d = SubnetEnv.parse(dual, "f");
        assertEquals(Ipv6Cidr.parse("fd00:10:244::/56"), d.ipv6Network());
        assertEquals(Ipv6Cidr.parse("fd00:10:244:1::/64"), d.ipv6Subnet(), "the subnet, not its first address");
        assertEquals(ENV.subnet(), d.subnet());
        assertEquals(dual, d.render());
        String v6only = """
                FLANNEL_IPV6_NETWORK=fd00:10:244::/56
                FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64
                FLANNEL_MTU=1450
                FLANNEL_IPMASQ=false
                """;
        SubnetEnv s = SubnetEnv.parse(v6only, "f");
        assertNull(s.network());
        assertNull(s.subnet());
        assertEquals(v6only, s.render());
        assertNull(ENV.ipv6Subnet(), "an IPv4 file has no IPv6 pair");

        for (String[] bad : new String[][] {
                {"FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\n", "FLANNEL_IPV6_NETWORK", "has no FLANNEL_IPV6_NETWORK"},
                {"FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:99::1/64\nFLANNEL_MTU=1450\n", "FLANNEL_IPV6_SUBNET",
                        "fd00:99::1/64 is not inside FLANNEL_IPV6_NETWORK fd00:10:244::/56"},
                {"FLANNEL_IPV6_NETWORK=10.244.0.0/16\nFLANNEL_IPV6_SUBNET=fd00::1/64\nFLANNEL_MTU=1450\n", "FLANNEL_IPV6_NETWORK", "not an IPv6"},
                {"FLANNEL_NETWORK=fd00::/56\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n", "FLANNEL_NETWORK", "not an IPv4"},
                {"FLANNEL_MTU=1450\n", "FLANNEL_NETWORK", "has no FLANNEL_NETWORK (nor FLANNEL_IPV6_NETWORK)"}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> SubnetEnv.parse(bad[0], "f"), bad[0]);
            assertEquals(bad[1], e.field(), bad[0]);
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
        }
    }

    @Test
    void writesAtomicallyAndReadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/flannel/subnet.env");
        ENV.writeAtomically(file);
        assertEquals(FLANNEL_WRITTEN, Files.readString(file));
        assertEquals(ENV, SubnetEnv.read(file));
        assertEquals(List.of("subnet.env"), names(file.getParent()), "no temporary file left behind");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "readable like flannel's (0644)");
    }

    @Test
    void replacesTheFileRatherThanRewritingItInPlace(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("subnet.env");
        Files.writeString(file, "FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.0.5.1/24\nFLANNEL_MTU=1500\n");
        // A second name for the old file stands for a reader that opened it before the write: it must keep
        // seeing the whole old file, which only holds if the new one is renamed over it.
        Path reader = dir.resolve("held-by-reader");
        Files.createLink(reader, file);
        Object oldKey = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        ENV.writeAtomically(file);

        assertEquals(FLANNEL_WRITTEN, Files.readString(file));
        assertEquals("FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.0.5.1/24\nFLANNEL_MTU=1500\n", Files.readString(reader));
        assertNotEquals(oldKey, Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
        assertEquals(List.of("held-by-reader", "subnet.env"), names(dir));

        new SubnetEnv(ENV.network(), Ipv4Cidr.parse("10.244.2.0/24"), 1450, false).writeAtomically(file);
        assertEquals(Ipv4Cidr.parse("10.244.2.0/24"), SubnetEnv.read(file).subnet());
        assertEquals(List.of("held-by-reader", "subnet.env"), names(dir));
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("subnet.env");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x");
        assertThrows(IOException.class, () -> ENV.writeAtomically(target));
        assertEquals(List.of("subnet.env"), names(dir));
        assertEquals(List.of("keep"), names(target));
    }

    @Test
    void readingAMissingFileFails(@TempDir Path dir) {
        assertThrows(IOException.class, () -> SubnetEnv.read(dir.resolve("nope.env")));
    }
}
