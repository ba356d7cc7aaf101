package io.weft.agent;

import io.weft.agent.subnet.SubnetManager;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The public addresses the lease store holds for this node, which override --public-ip and --public-ipv6 as flannel's
 * main.go takes GetStoredPublicIP over the flags: the Kubernetes node's node-public-ip and node-public-ipv6 annotations.
 */
final class StoredAddresses {
    private static final Logger LOG = Logger.getLogger(StoredAddresses.class.getName());

    private StoredAddresses() {}

    static Optional<Ipv4Address> ipv4(SubnetManager manager) throws IOException {
        Optional<String> stored = manager.storedPublicIp();
        if (stored.isEmpty()) return Optional.empty();
        try {
            Ipv4Address ip = Ipv4Address.parse(stored.get().strip());
            LOG.info("public IP " + ip + " from the lease store (the node's node-public-ip annotation)");
            return Optional.of(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the node's node-public-ip annotation '" + stored.get() + "' is not an IPv4 address");
        }
    }

    static Optional<Ipv6Address> ipv6(SubnetManager manager) throws IOException {
        Optional<String> stored = manager.storedPublicIpv6();
        if (stored.isEmpty()) return Optional.empty();
        try {
            Ipv6Address ip = Ipv6Address.parse(stored.get().strip());
            LOG.info("public IPv6 " + ip + " from the lease store (the node's node-public-ipv6 annotation)");
            return Optional.of(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the node's node-public-ipv6 annotation '" + stored.get() + "' is not an IPv6 address");
        }
    }
}
