package io.weft.cni.command;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.bridge.NodeLinks;
import io.weft.cni.bridge.PodNetwork;
import io.weft.cni.ipam.Allocator;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.netlink.Native;
import io.weft.cni.netlink.NetlinkException;
import io.weft.cni.netlink.Rtnl;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.skel.Trace;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import io.weft.cni.spec.Result;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * ADD, no process started: under the IPAM lock (flock(2)) a first ADD's bridge and the pod's addresses, one per
 * family subnet.env names; then through rtnetlink requests, each acked before the next, the veth with its pod end
 * made directly inside the pod namespace under {@code CNI_IFNAME} (the host end a port of the bridge and up from
 * its first moment), hairpin, the gateway addresses, the bridge up, and from a socket made inside the pod's
 * namespace the addresses, the interface up and the routes. A refusal names its step; a failed ADD takes back
 * what it made.
 */
public final class Add implements Skel.Command {
    private final Kernel kernel;

    public Add(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String run(CniEnv env, NetConf conf) throws IOException {
        PodNetwork net = PodNetwork.read(conf, CniException.TRY_AGAIN);
        // A malformed prevResult is refused before anything is changed, not after.
        Result prev = conf.prevResult() == null ? null : Result.fromJson(conf.prevResult());
        String hostVeth = NodeLinks.vethName(env.containerId(), env.ifname());
        if (NodeLinks.exists(hostVeth)) {
            throw ifnameTaken(env, "host interface " + hostVeth + " for container " + env.containerId() + " is still there: DEL it first");
        }
        Trace.mark("config and subnet.env");
        int mtu = conf.mtu() > 0 ? conf.mtu() : net.mtu();
        MacAddress hostMac = randomMac();
        MacAddress podMac = randomMac();
        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        List<IpAddress> ips = new ArrayList<>(2);
        int podNs = -1;
        try (Rtnl host = kernel.rtnl(null)) {
            try (Flock lock = store.lock()) { // (makes the directory where it is missing)
                Trace.mark("lock held");
                // Under the lock: parallel first ADDs on a fresh node must not race to make the bridge (and one
                // made by a runtime's other plugin meanwhile is as good).
                if (!NodeLinks.exists(conf.bridge())) {
                    try {
                        host.addBridge(conf.bridge(), randomMac(), mtu);
                    } catch (NetlinkException e) {
                        if (e.errno() != NetlinkException.EEXIST) throw e;
                    }
                }
                for (PodNetwork.Family f : net.families()) {
                    ips.add(new Allocator(store, f.subnet(), conf.isGateway() ? f.gateway() : null, f.rangeId())
                            .allocate(env.containerId(), env.ifname()));
                }
                Trace.mark("allocated");
            }
            int bridge = host.index(conf.bridge());
            podNs = Native.open(env.netns(), Native.O_RDONLY, 0);
            if (podNs < 0) throw new IOException("cannot open " + env.netns() + ": " + Native.strerror(-podNs));
            try {
                host.addVeth(hostVeth, hostMac, bridge, conf.bridge(), env.ifname(), podMac, mtu, podNs);
            } catch (NetlinkException e) {
                if (e.errno() != NetlinkException.EEXIST) throw e;
                throw ifnameTaken(env, "netns " + env.netns() + ": " + e.getMessage());
            }
            if (conf.hairpinMode()) host.hairpin(hostVeth, true);
            if (conf.isGateway()) {
                for (PodNetwork.Family f : net.families()) host.address(bridge, conf.bridge(), f.gateway(), f.subnet().prefix(), true);
            }
            host.up(conf.bridge());
            Trace.mark("host side");
            try (Rtnl inPod = kernel.rtnl(env.netns())) {
                int podIf = inPod.index(env.ifname());
                for (int i = 0; i < ips.size(); i++) {
                    inPod.address(podIf, env.ifname(), ips.get(i), net.families().get(i).subnet().prefix(), false);
                }
                inPod.up(env.ifname());
                for (PodRoute r : routes(conf, net)) inPod.route(r.dst(), r.gateway(), podIf, env.ifname());
            }
            Trace.mark("pod side");
            if (conf.isGateway()) for (PodNetwork.Family f : net.families()) kernel.enableForwarding(f.bits());
            if (conf.ipMasq()) {
                for (int i = 0; i < ips.size(); i++) {
                    kernel.masquerade(ips.get(i), net.families().get(i).network(), env.containerId(), env.ifname());
                }
            }
        } catch (RuntimeException | IOException e) {
            undo(env, conf, store, ips, hostVeth);
            throw e;
        } finally {
            if (podNs >= 0) Native.close(podNs);
        }
        return result(env, conf, net, prev, ips, hostVeth, hostMac, podMac);
    }

    /** A route in the pod through its family's gateway; {@code isDefault} for the default route. */
    private record PodRoute(IpCidr dst, IpAddress gateway, boolean isDefault) {}

    /**
     * The pod's routes: each family's cluster network where it is wider than the node's subnet, then with
     * {@code isDefaultGateway} each family's default route (the order the reference bridge plugin's result has for
     * flannel's delegate config).
     */
    private static List<PodRoute> routes(NetConf conf, PodNetwork net) {
        List<PodRoute> out = new ArrayList<>();
        if (!conf.isGateway()) return out;
        for (PodNetwork.Family f : net.families()) {
            if (!f.network().sameAs(f.subnet())) out.add(new PodRoute(f.network(), f.gateway(), false));
        }
        if (conf.isDefaultGateway()) {
            for (PodNetwork.Family f : net.families()) out.add(new PodRoute(IpCidr.any(f.bits()), f.gateway(), true));
        }
        return out;
    }

    /** The reference bridge plugin's words for an attachment whose interface already exists. */
    private static CniException ifnameTaken(CniEnv env, String details) {
        return new CniException(CniException.INTERNAL, "container veth name provided (" + env.ifname() + ") already exists", details);
    }

    /** The ADD result, the reference bridge plugin's shape, after a {@code prevResult}'s entries. */
    private static String result(CniEnv env, NetConf conf, PodNetwork net, Result prev, List<IpAddress> ips, String hostVeth,
            MacAddress hostMac, MacAddress podMac) {
        List<Result.Iface> ifs = new ArrayList<>();
        List<Result.IpConfig> ipConfigs = new ArrayList<>();
        List<Result.Route> routes = new ArrayList<>();
        java.util.Map<String, Object> dns = java.util.Map.of();
        if (prev != null) {
            ifs.addAll(prev.interfaces());
            ipConfigs.addAll(prev.ips());
            routes.addAll(prev.routes());
            dns = prev.dns();
        }
        int base = ifs.size();
        ifs.add(new Result.Iface(conf.bridge(), NodeLinks.mac(conf.bridge()), null));
        ifs.add(new Result.Iface(hostVeth, hostMac.toString(), null));
        ifs.add(new Result.Iface(env.ifname(), podMac.toString(), env.netns()));
        for (int i = 0; i < ips.size(); i++) {
            PodNetwork.Family f = net.families().get(i);
            ipConfigs.add(new Result.IpConfig(ips.get(i) + "/" + f.subnet().prefix(), conf.isGateway() ? f.gateway().toString() : null, base + 2));
        }
        // the cluster routes without a gateway, as host-local returns them: the interface's gateway applies
        for (PodRoute r : routes(conf, net)) routes.add(new Result.Route(r.dst().toString(), r.isDefault() ? r.gateway().toString() : null));
        return new Result(ifs, ipConfigs, routes, dns).toJson(conf.cniVersion());
    }

    /** Takes back what a failed ADD made: its masquerade rules, its veth (which takes the pod end along), its addresses. */
    private void undo(CniEnv env, NetConf conf, HostLocalStore store, List<IpAddress> ips, String hostVeth) {
        if (conf.ipMasq()) {
            try {
                kernel.unmasquerade(env.containerId(), env.ifname());
            } catch (RuntimeException e) {
                System.err.println("weft: cleanup after failed ADD: " + e.getMessage());
            }
        }
        try {
            if (NodeLinks.exists(hostVeth)) {
                try (Rtnl rtnl = kernel.rtnl(null)) {
                    rtnl.deleteLink(hostVeth);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("weft: cleanup after failed ADD: " + e.getMessage());
        }
        if (ips.isEmpty()) return;
        try (Flock lock = store.lock()) {
            for (IpAddress ip : ips) store.release(ip);
        } catch (IOException | RuntimeException e) {
            System.err.println("weft: cannot free " + ips + " after failed ADD: " + e.getMessage());
        }
    }

    static MacAddress randomMac() {
        long r = ThreadLocalRandom.current().nextLong() & 0xffff_ffff_ffffL;
        // locally administered (bit 1 of the first octet), unicast (bit 0 clear)
        r = (r & ~(0x01L << 40)) | (0x02L << 40);
        return new MacAddress(r);
    }
}
