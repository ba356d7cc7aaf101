package io.weft.cni;

import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.CniVersion;
import io.weft.cni.spec.NetConf;
import io.weft.cni.spec.Result;
import io.weft.core.iproute.IfAddress;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * CHECK: the attachment in {@code prevResult} is still whole: its IPAM allocation, the bridge, the host veth and
 * its master, the pod interface, its addresses and every route. Reads the kernel through core's {@code ip -j}
 * reader (jackson), which is why CHECK has an AOT cache of its own; names each thing missing.
 */
final class Check {
    private final CniEnv env;

    Check(CniEnv env) {
        this.env = env;
    }

    String run(NetConf conf) throws IOException {
        if (!CniVersion.atLeast(conf.cniVersion(), "0.4.0")) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "config version does not allow CHECK",
                    "cniVersion " + conf.cniVersion() + " < 0.4.0");
        }
        env.requireForAttach();
        if (conf.prevResult() == null) {
            throw new CniException(CniException.INVALID_CONFIG, "invalid network config: CHECK needs prevResult (the result of ADD)");
        }
        if (!Files.exists(Path.of(env.netns()))) {
            throw new CniException(CniException.INVALID_ENV, "CNI_NETNS " + env.netns() + " does not exist");
        }
        Plugin.readSubnetEnv(conf, CniException.TRY_AGAIN);
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
        Set<Ipv4Address> held = new HashSet<>();
        for (HostLocalStore.Allocation a : store.byId(env.containerId(), env.ifname())) held.add(a.ip());
        for (Result.IpConfig c : mine) {
            Ipv4Address a = addrOf(c);
            if (!held.contains(a)) missing.add("IPAM has no allocation of " + a + " for " + env.containerId() + "/" + env.ifname());
        }

        IpReader hostReader = new IpReader(Netns.CURRENT);
        Optional<LinkInfo> br = hostReader.link(conf.bridge());
        if (br.isEmpty()) missing.add("bridge " + conf.bridge() + " does not exist");
        else if (!br.get().up()) missing.add("bridge " + conf.bridge() + " is down");
        String hostVeth = hostVethOf(prev, idx, conf.bridge());
        Optional<LinkInfo> hv = hostReader.link(hostVeth);
        if (hv.isEmpty()) missing.add("host veth " + hostVeth + " does not exist");
        else if (!conf.bridge().equals(hv.get().master())) missing.add("host veth " + hostVeth + " is not a port of " + conf.bridge());

        IpReader podReader = new IpReader(Plugin.podNetns(Path.of(env.netns())));
        Optional<LinkInfo> pl = podReader.link(env.ifname());
        if (pl.isEmpty()) {
            missing.add("interface " + env.ifname() + " does not exist in " + env.netns());
        } else {
            if (!pl.get().up()) missing.add("interface " + env.ifname() + " is down");
            List<IfAddress> addrs = podReader.addresses(env.ifname());
            for (Result.IpConfig c : mine) {
                Ipv4Address a = addrOf(c);
                int prefix = Ipv4Cidr.parseLenient(c.address()).prefix();
                if (addrs.stream().noneMatch(x -> x.address().equals(a) && x.prefix() == prefix)) {
                    missing.add("address " + c.address() + " is not on " + env.ifname());
                }
            }
            List<RouteEntry> routes = podReader.routes();
            String gwDefault = mine.isEmpty() ? null : mine.getFirst().gateway();
            for (Result.Route r : prev.routes()) {
                Ipv4Cidr dst = Ipv4Cidr.parseLenient(r.dst());
                String gw = r.gw() != null ? r.gw() : gwDefault;
                boolean found = routes.stream().anyMatch(x -> x.dst().equals(dst)
                        && (gw == null || (x.via() != null && x.via().toString().equals(gw))));
                if (!found) missing.add("route " + r.dst() + (gw == null ? "" : " via " + gw) + " is missing in " + env.netns());
            }
        }
        if (!missing.isEmpty()) {
            throw new CniException(CniException.INTERNAL, "CHECK of " + env.containerId() + "/" + env.ifname() + " failed: "
                    + String.join("; ", missing));
        }
        return null;
    }

    private static Ipv4Address addrOf(Result.IpConfig c) {
        String a = c.address();
        int slash = a.indexOf('/');
        return Ipv4Address.parse(slash < 0 ? a : a.substring(0, slash));
    }

    /**
     * The pod's host-side veth as the result names it (the interface without a sandbox listed before the pod's
     * own, other than the bridge): a pod attached by the reference bridge plugin before the node switched to
     * weft has a veth of another name. Falls back to weft's derived name.
     */
    private String hostVethOf(Result prev, int podIdx, String bridge) {
        for (int i = podIdx - 1; i >= 0; i--) {
            Result.Iface f = prev.interfaces().get(i);
            if (f.sandbox() == null && f.name() != null && !f.name().equals(bridge)) return f.name();
        }
        return Plugin.hostVethName(env.containerId(), env.ifname());
    }
}
