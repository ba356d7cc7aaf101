package io.weft.lab.cni;

import io.weft.core.config.SubnetEnv;
import io.weft.core.net.Ipv4Cidr;
import io.weft.lab.netns.NetnsLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A test node: a network namespace standing in for the host (the plugin's bridge and host veths go there),
 * a scratch directory with subnet.env and the IPAM data, and pod namespaces made on demand.
 */
public final class Node implements AutoCloseable {
    public final NetnsLab lab;
    public final String ns;
    public final Path dir;
    public final Path subnetFile;
    public final PluginRunner run;

    public Node(String tag) {
        this(tag, "10.244.0.0/16", "10.244.1.1/24", 1450);
    }

    public Node(String tag, String network, String subnet, int mtu) {
        PluginRunner.requireBuilt();
        lab = new NetnsLab(tag);
        ns = lab.netns("node");
        try {
            dir = Files.createTempDirectory("weft-cni-" + tag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        subnetFile = dir.resolve("subnet.env");
        writeSubnetEnv(network, subnet, mtu);
        run = new PluginRunner(ns);
    }

    public void writeSubnetEnv(String network, String subnet, int mtu) {
        try {
            new SubnetEnv(Ipv4Cidr.parse(network), Ipv4Cidr.parseLenient(subnet), mtu, true).writeAtomically(subnetFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new pod namespace; returns its full name (its CNI_NETNS is /var/run/netns/NAME). */
    public String pod(String name) {
        return lab.netns(name);
    }

    public Path ipamDir(String network) {
        return dir.resolve("networks").resolve(network);
    }

    /** A weft config; {@code extra} is spliced into the object (e.g. ",\"mtu\":1400"). */
    public String conf(String version, String extra) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"weftnet\",\"type\":\"weft\",\"subnetFile\":\"" + subnetFile
                + "\",\"dataDir\":\"" + dir + "\"" + extra + "}";
    }

    public String conf(String version) {
        return conf(version, "");
    }

    public String sh(String... cmd) {
        return NetnsLab.exec(ns, cmd);
    }

    @Override
    public void close() {
        lab.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
