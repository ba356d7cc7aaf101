package io.weft.cni.command;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.bridge.NodeLinks;
import io.weft.cni.bridge.PodNetwork;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.netlink.Rtnl;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import io.weft.cni.spec.Result;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CHECK: the attachment in {@code prevResult} is still whole: its IPAM allocations, the bridge, the host veth and
 * its master, the pod interface, its addresses and every route, of both families. Reads the kernel through
 * rtnetlink (a link by name, dumps of addresses and routes); names each thing missing.
 */
public final class Check implements Skel.Command {
    private final Kernel kernel;

    public Check(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String run(CniEnv env, NetConf conf) throws IOException {
        if (conf.prevResult() == null) {
            throw new CniException(CniException.INVALID_CONFIG, "invalid network config: CHECK needs prevResult (the result of ADD)");
        }
        PodNetwork.read(conf, CniException.TRY_AGAIN);
        Result prev = Result.fromJson(conf.prevResult());
        int idx = -1;
        for (int i = 0; i < prev.interfaces().size(); i++) {
            Result.Iface f = prev.interfaces().get(i);
            if (env.ifname().equals(f.name()) && f.sandbox() != null) idx = i;
        }
        if (idx < 0) {
            throw new CniException(CniException.INVALID_CONFIG, "invalid network config: prevResult has no interface "
                    + env.ifname() + " with a sandbox");
        }
        List<String> missing = new ArrayList<>();
        List<Result.IpConfig> mine = new ArrayList<>();
        for (Result.IpConfig c : prev.ips()) if (c.iface() != null && c.iface() == idx) mine.add(c);

        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        Set<String> held = new HashSet<>();
        if (java.nio.file.Files.isDirectory(store.dir())) {
            try (Flock lock = store.lock()) { // as host-local's CHECK: its reads under the lock
                for (HostLocalStore.Allocation a : store.byId(env.containerId(), env.ifname())) held.add(a.ip().toString());
            }
        }
        for (Result.IpConfig c : mine) {
            IpAddress a = addressOf(c);
            if (!held.contains(a.toString())) missing.add("IPAM has no allocation of " + a + " for " + env.containerId() + "/" + env.ifname());
        }

        try (Rtnl host = kernel.rtnl(null)) {
            Rtnl.Link br = host.link(conf.bridge());
            if (br == null) missing.add("bridge " + conf.bridge() + " does not exist");
            else if (!br.up()) missing.add("bridge " + conf.bridge() + " is down");
            String hostVeth = hostVethOf(env, prev, idx, conf.bridge());
            Rtnl.Link hv = host.link(hostVeth);
            if (hv == null) missing.add("host veth " + hostVeth + " does not exist");
            else if (br == null || hv.master() != br.index()) missing.add("host veth " + hostVeth + " is not a port of " + conf.bridge());
        }

        try (Rtnl pod = kernel.rtnl(env.netns())) {
            Rtnl.Link pl = pod.link(env.ifname());
            if (pl == null) {
                missing.add("interface " + env.ifname() + " does not exist in " + env.netns());
            } else {
                if (!pl.up()) missing.add("interface " + env.ifname() + " is down");
                List<Rtnl.Addr> addrs = pod.addresses(pl.index());
                for (Result.IpConfig c : mine) {
                    if (!hasAddress(addrs, addressOf(c).toString(), IpCidr.parseLenient(c.address()).prefix())) {
                        missing.add("address " + c.address() + " is not on " + env.ifname());
                    }
                }
                List<Rtnl.Route> routes = pod.routes();
                for (Result.Route r : prev.routes()) {
                    IpCidr dst = IpCidr.parseLenient(r.dst());
                    String gw = r.gw() != null ? r.gw() : gatewayOf(mine, dst.bits());
                    if (!hasRoute(routes, dst, gw)) {
                        missing.add("route " + r.dst() + (gw == null ? "" : " via " + gw) + " is missing in " + env.netns());
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new CniException(CniException.INTERNAL, "CHECK of " + env.containerId() + "/" + env.ifname() + " failed: "
                    + String.join("; ", missing));
        }
        return null;
    }

    private static boolean hasAddress(List<Rtnl.Addr> addrs, String address, int prefix) {
        for (Rtnl.Addr x : addrs) if (x.prefix() == prefix && x.address().toString().equals(address)) return true;
        return false;
    }

    private static boolean hasRoute(List<Rtnl.Route> routes, IpCidr dst, String gw) {
        for (Rtnl.Route x : routes) {
            if (x.dst().sameAs(dst) && (gw == null || (x.gateway() != null && x.gateway().toString().equals(gw)))) return true;
        }
        return false;
    }

    /** A route without its own gateway goes through the gateway of the interface's address of its family. */
    private static String gatewayOf(List<Result.IpConfig> mine, int bits) {
        for (Result.IpConfig c : mine) if (c.gateway() != null && addressOf(c).bits() == bits) return IpAddress.parse(c.gateway()).toString();
        return null;
    }

    private static IpAddress addressOf(Result.IpConfig c) {
        String a = c.address();
        int slash = a.indexOf('/');
        return IpAddress.parse(slash < 0 ? a : a.substring(0, slash));
    }

    /**
     * The pod's host-side veth as the result names it (the interface without a sandbox listed before the pod's
     * own, other than the bridge): a pod attached by the reference bridge plugin before the node switched to
     * weft has a veth of another name. Falls back to weft's derived name.
     */
    private static String hostVethOf(CniEnv env, Result prev, int podIdx, String bridge) {
        for (int i = podIdx - 1; i >= 0; i--) {
            Result.Iface f = prev.interfaces().get(i);
            if (f.sandbox() == null && f.name() != null && !f.name().equals(bridge)) return f.name();
        }
        return NodeLinks.vethName(env.containerId(), env.ifname());
    }
}
