package io.weft.agent.backend.wireguard;

import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * One WireGuard device of the backend, as flannel's wgDevice: {@code flannel-wg} or, in separate mode,
 * {@code flannel-wg-v6}, with its listen port, the node's key, MTU underlay − 80, and per family it carries its
 * address (the subnet's network address, /32 or /128) and one route for the family's whole pod network through it
 * (flannel's Configure and ConfigureV6).
 */
final class WgLink {
    private static final Logger LOG = Logger.getLogger(WgLink.class.getName());

    /** A family the device carries: its address on the device and the pod network routed through it. */
    record Family(IpAddress address, IpCidr network) {
        int hostPrefix() {
            return address.bits();
        }
    }

    final String name;
    final int listenPort;
    private final Netns ns;
    private final WgDevice device;
    private final int mtu;
    private boolean created; // open() made the device (it was not there)
    private List<Family> families = List.of();

    WgLink(Netns ns, String name, int listenPort, WgDevice device, int mtu) {
        this.ns = ns;
        this.name = name;
        this.listenPort = listenPort;
        this.device = device;
        this.mtu = mtu;
    }

    WgDevice device() {
        return device;
    }

    /** Creates or adopts the device, without a key yet (a node where WireGuard cannot run gets no key file either). */
    void open() {
        created = new IpReader(ns).link(name).isEmpty();
        device.open();
    }

    /** Gives the device the key (from {@code keyFile}, whose bytes are {@code privateKey}), its port and MTU. */
    void configure(byte[] privateKey, Path keyFile) {
        device.configure(privateKey, keyFile);
        IpBatch.run(ns, Link.mtu(name, mtu));
    }

    /** The addresses and routes of the families the device carries, and the device up. Idempotent. */
    void activate(List<Family> carried) {
        families = List.copyOf(carried);
        IpBatch b = new IpBatch();
        for (Family f : families) b.add(Addr.replace(name, f.address(), f.hostPrefix()));
        b.add(Link.up(name));
        for (Family f : families) b.add(RouteEntry.direct(f.network(), name).replace());
        b.apply(ns);
    }

    /** Reopens a device that went away (with its key, address and routes) and puts back a deleted route. */
    boolean ensure(Path keyFile) {
        if (!device.healthy()) {
            LOG.warning(name + " is missing or not working; opening it again");
            device.close();
            device.open();
            byte[] privateKey = KeyFile.loadOrCreate(keyFile);
            configure(privateKey, keyFile);
            java.util.Arrays.fill(privateKey, (byte) 0);
            activate(families);
            return true;
        }
        IpReader reader = new IpReader(ns);
        for (Family f : families) {
            List<RouteEntry> routes = f.network().bits() == 32 ? reader.routes() : reader.routes6();
            if (routes.stream().noneMatch(r -> r.dst().equals(f.network()) && name.equals(r.dev()))) {
                LOG.warning("the route " + f.network() + " dev " + name + " was gone; putting it back");
                activate(families);
                return true;
            }
        }
        return false;
    }

    boolean healthy() {
        return device.healthy();
    }

    void close() {
        device.close();
    }

    /** A failed start removes the device it made (the kernel's, or wireguard-go's TUN, which ends wireguard-go). */
    void abandon() {
        device.close();
        if (!created) return;
        created = false;
        if (new IpReader(ns).link(name).isEmpty()) return; // weft's own TUN went with close()
        LOG.info("removing " + name + ", which this failed start created");
        IpBatch.run(ns, Link.delete(name));
    }
}
