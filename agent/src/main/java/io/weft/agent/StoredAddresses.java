package io.weft.agent;

import io.weft.agent.subnet.SubnetManager;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The public addresses the lease store holds for this node, which override --public-ip and --public-ipv6 as flannel's
 * main.go takes GetStoredPublicIP over the flags: the Kubernetes node's node-public-ip and node-public-ipv6 annotations.
 */
final class StoredAddresses {
    private static final Logger LOG = Logger.getLogger(StoredAddresses.class.getName());

    private StoredAddresses() {}

    static Optional<Ipv4Address> ipv4(SubnetManager manager) throws IOException {
        return parse(manager.storedPublicIp(), "public IP", "node-public-ip", "IPv4", Ipv4Address::parse);
    }

    static Optional<Ipv6Address> ipv6(SubnetManager manager) throws IOException {
        return parse(manager.storedPublicIpv6(), "public IPv6", "node-public-ipv6", "IPv6", Ipv6Address::parse);
    }

    private static <T> Optional<T> parse(Optional<String> stored, String what, String annotation, String family,
                                         Function<String, T> parser) {
        if (stored.isEmpty()) return Optional.empty();
        try {
            T ip = parser.apply(stored.get().strip());
            LOG.info(what + " " + ip + " from the lease store (the node's " + annotation + " annotation)");
            return Optional.of(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the node's " + annotation + " annotation '" + stored.get() + "' is not an "
                    + family + " address");
        }
    }
}
