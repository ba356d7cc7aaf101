package io.weft.cni;

import io.weft.cni.bridge.PodOps;
import io.weft.cni.ipam.Allocator;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.netlink.Native;
import io.weft.cni.netlink.NetlinkException;
import io.weft.cni.netlink.Rtnl;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.CniVersion;
import io.weft.cni.spec.Json;
import io.weft.cni.spec.JsonOut;
import io.weft.cni.spec.NetConf;
import io.weft.cni.spec.Result;
import io.weft.core.config.ConfigException;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.Addr;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpSession;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** The CNI commands. Each returns what goes to stdout (null for nothing) or throws {@link CniException}. */
public final class Plugin {
    private static final Path SYS_NET = Path.of("/sys/class/net");

    private final CniEnv env;
    private final Kernel kernel;

    public Plugin(CniEnv env) {
        this(env, Kernel.REAL);
    }

    Plugin(CniEnv env, Kernel kernel) {
        this.env = env;
        this.kernel = kernel;
    }

    public String run(String stdin) throws IOException {
        String cmd = env.command();
        if (cmd == null) {
            throw new CniException(CniException.INVALID_ENV, "required env variables [CNI_COMMAND] missing");
        }
        return switch (cmd) {
            case "VERSION" -> version(stdin);
            case "ADD" -> add(NetConf.parse(stdin));
            case "DEL" -> del(NetConf.parse(stdin));
            case "CHECK" -> check(NetConf.parse(stdin));
            case "STATUS" -> status(NetConf.parse(stdin));
            case "GC" -> gc(NetConf.parse(stdin));
            default -> throw new CniException(CniException.INVALID_ENV, "unknown CNI_COMMAND: " + cmd,
                    "one of ADD, DEL, CHECK, STATUS, GC, VERSION");
        };
    }

    // ---- VERSION ----------------------------------------------------------------------------------------

    static String version(String stdin) {
        String v = CniVersion.CURRENT;
        if (stdin != null && !stdin.isBlank()) {
            try {
                if (Json.parseObject(stdin).get("cniVersion") instanceof String s && !s.isEmpty()) v = s;
            } catch (CniException e) {
                // VERSION must answer whatever the caller sent
            }
        }
        JsonOut o = new JsonOut().beginObject().field("cniVersion", v).beginArray("supportedVersions");
        for (String s : CniVersion.SUPPORTED) o.value(s);
        return o.endArray().endObject().toString();
    }

    // ---- ADD --------------------------------------------------------------------------------------------

    private String add(NetConf conf) throws IOException {
        Trace.mark("parse config");
        env.requireForAttach();
        Path nsPath = Path.of(env.netns());
        if (!Files.exists(nsPath)) {
            throw new CniException(CniException.INVALID_ENV, "CNI_NETNS " + env.netns() + " does not exist");
        }
        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        return kernel.netlink() ? addByNetlink(conf, store) : addByIproute(conf, podNetns(nsPath), store);
    }

    /**
     * ADD through rtnetlink, no process started: the IPAM lock (flock(2)) covers a first ADD's bridge and the
     * allocation, then the veth is made with its pod end directly inside the pod namespace under {@code CNI_IFNAME}
     * (the host end a port of the bridge and up from its first moment), then hairpin, the gateway address, the
     * bridge up, and in the pod the address, the interface up and the routes. Each request waits for the
     * kernel's ack, so a refusal names its step.
     */
    private String addByNetlink(NetConf conf, HostLocalStore store) throws IOException {
        SubnetEnv subnetEnv = readSubnetEnv(conf, CniException.TRY_AGAIN);
        // A malformed prevResult is refused before anything is changed, not after.
        Result prev = conf.prevResult() == null ? null : Result.fromJson(conf.prevResult());
        String hostVeth = unusedHostVeth();
        Trace.mark("config and subnet.env");
        int mtu = conf.mtu() > 0 ? conf.mtu() : subnetEnv.mtu();
        Ipv4Cidr subnet = subnetEnv.subnet();
        Ipv4Address gateway = subnet.firstHost();
        MacAddress hostMac = randomMac();
        MacAddress podMac = randomMac();
        Ipv4Address ip = null;
        int podNs = -1;
        try (Rtnl host = kernel.rtnl(null)) {
            Files.createDirectories(store.dir());
            try (Flock lock = store.lock()) {
                // Under the lock: parallel first ADDs on a fresh node must not race to make the bridge (and one
                // made by a runtime's other plugin meanwhile is as good).
                if (!Files.exists(SYS_NET.resolve(conf.bridge()))) {
                    try {
                        host.addBridge(conf.bridge(), randomMac(), mtu);
                    } catch (NetlinkException e) {
                        if (e.errno() != NetlinkException.EEXIST) throw e;
                    }
                }
                ip = new Allocator(store, subnet, conf.isGateway() ? gateway : null).allocate(env.containerId(), env.ifname());
                Trace.mark("allocated");
            }
            int bridge = host.index(conf.bridge());
            podNs = Native.open(env.netns(), Native.O_RDONLY, 0);
            if (podNs < 0) throw new IOException("cannot open " + env.netns() + ": " + Native.strerror(-podNs));
            try {
                host.addVeth(hostVeth, hostMac, bridge, conf.bridge(), env.ifname(), podMac, mtu, podNs);
            } catch (NetlinkException e) {
                if (e.errno() != NetlinkException.EEXIST) throw e;
                throw ifnameTaken("netns " + env.netns() + ": " + e.getMessage());
            }
            if (conf.hairpinMode()) host.hairpin(hostVeth, true);
            if (conf.isGateway()) host.address(bridge, conf.bridge(), gateway, subnet.prefix(), true);
            host.up(conf.bridge());
            Trace.mark("host side");
            try (Rtnl inPod = kernel.rtnl(env.netns())) {
                int podIf = inPod.index(env.ifname());
                inPod.address(podIf, env.ifname(), ip, subnet.prefix(), false);
                inPod.up(env.ifname());
                if (conf.isGateway()) {
                    if (!sameCidr(subnetEnv.network(), subnet)) inPod.route(subnetEnv.network(), gateway, podIf, env.ifname());
                    if (conf.isDefaultGateway()) inPod.route(new Ipv4Cidr(new Ipv4Address(0), 0), gateway, podIf, env.ifname());
                }
            }
            Trace.mark("pod side");
            if (conf.isGateway()) kernel.enableForwarding();
            if (conf.ipMasq()) kernel.masquerade(ip, subnetEnv.network(), env.containerId(), env.ifname());
        } catch (RuntimeException | IOException e) {
            undoAdd(conf, store, ip, hostVeth);
            throw e;
        } finally {
            if (podNs >= 0) Native.close(podNs);
        }
        return result(conf, prev, subnetEnv, ip, hostVeth, hostMac, podMac);
    }

    /**
     * ADD through iproute2, where the JNI library is missing. Two iproute2 processes, started first thing (a
     * process start is milliseconds of a cold JVM's time, and the processes start up while this one reads
     * subnet.env and checks the request), fed once their commands are known: the host side runs under flock(1)
     * on the IPAM lock, so its process holds the lock while this one allocates and the veth is plumbed
     * meanwhile; the pod's ip waits for the address. Without flock(1) the lock is taken here instead (flock(2)
     * through FFM) and the host side runs unwrapped. Until the host side is sent, the processes only read: a
     * refused request just closes them.
     */
    private String addByIproute(NetConf conf, Netns pod, HostLocalStore store) throws IOException {
        Files.createDirectories(store.dir());
        List<String> lockPrefix = Flock.commandPrefix(store.lockFile());
        Flock ownLock = lockPrefix == null ? store.lock() : null; // closed (and nulled) once allocated
        IpSession hostSide = null;
        IpSession podSide = null;
        SubnetEnv subnetEnv;
        Result prev;
        String hostVeth;
        try {
            hostSide = kernel.open(Netns.CURRENT, lockPrefix == null ? List.of() : lockPrefix);
            Trace.mark("host side started");
            podSide = kernel.open(pod, List.of());
            Trace.mark("pod side started");
            subnetEnv = readSubnetEnv(conf, CniException.TRY_AGAIN);
            // A malformed prevResult is refused before anything is changed, not after.
            prev = conf.prevResult() == null ? null : Result.fromJson(conf.prevResult());
            Trace.mark("config and subnet.env");
            hostVeth = unusedHostVeth();
        } catch (RuntimeException e) {
            if (hostSide != null) hostSide.finish();
            if (podSide != null) podSide.finish();
            if (ownLock != null) ownLock.close();
            throw e;
        }

        int mtu = conf.mtu() > 0 ? conf.mtu() : subnetEnv.mtu();
        Ipv4Cidr subnet = subnetEnv.subnet();
        Ipv4Address gateway = subnet.firstHost();
        MacAddress hostMac = randomMac();
        MacAddress podMac = randomMac();
        List<IpOp> host = new ArrayList<>();
        // The bridge is created with the rest of the host side, under the IPAM lock: parallel first ADDs on a fresh
        // node must not race to make it (the loser's "File exists" is expected and ignored).
        boolean makeBridge = !Files.exists(SYS_NET.resolve(conf.bridge()));
        if (makeBridge) host.add(PodOps.addBridge(conf.bridge(), randomMac(), mtu));
        host.add(PodOps.addVethIntoPod(hostVeth, hostMac, env.ifname(), podMac, mtu, pod));
        host.add(Link.master(hostVeth, conf.bridge()));
        if (conf.hairpinMode()) host.add(PodOps.hairpin(hostVeth, true));
        host.add(Link.up(hostVeth));
        if (conf.isGateway()) host.add(Addr.replace(conf.bridge(), gateway, subnet.prefix()));
        host.add(Link.up(conf.bridge()));

        Ipv4Address ip = null;
        try {
            int bridgeAt = hostSide.sent();
            for (IpOp op : host) hostSide.send(kernel.change(op));
            hostSide.flush();
            try {
                if (!hostSide.awaitStart()) {
                    IpSession.Outcome o = hostSide.finish();
                    hostSide = null;
                    throw new IOException("cannot lock " + store.lockFile() + ": " + String.join(" ", o.command())
                            + " exited " + o.exitCode() + ": " + o.stderr().strip());
                }
                Trace.mark("lock held");
                ip = new Allocator(store, subnet, conf.isGateway() ? gateway : null).allocate(env.containerId(), env.ifname());
                Trace.mark("allocated");
            } finally {
                if (hostSide != null) {
                    IpSession.Outcome o = hostSide.finish(); // its exit releases the lock
                    hostSide = null;
                    Trace.mark("host side done");
                    checkHostSide(o, makeBridge ? bridgeAt : -1);
                }
                if (ownLock != null) ownLock.close();
                ownLock = null;
            }
            List<IpOp> inPod = new ArrayList<>();
            inPod.add(Addr.add(env.ifname(), ip, subnet.prefix()));
            inPod.add(Link.up(env.ifname()));
            if (conf.isGateway()) {
                if (!sameCidr(subnetEnv.network(), subnet)) inPod.add(PodOps.routeVia(subnetEnv.network(), gateway, env.ifname()));
                if (conf.isDefaultGateway()) inPod.add(PodOps.routeVia(new Ipv4Cidr(new Ipv4Address(0), 0), gateway, env.ifname()));
            }
            for (IpOp op : inPod) podSide.send(kernel.change(op));
            IpSession.Outcome o = podSide.finish();
            podSide = null;
            o.orThrow();
            Trace.mark("pod side");
            if (conf.isGateway()) kernel.enableForwarding();
            if (conf.ipMasq()) kernel.masquerade(ip, subnetEnv.network(), env.containerId(), env.ifname());
        } catch (RuntimeException | IOException e) {
            if (hostSide != null) hostSide.finish();
            if (ownLock != null) ownLock.close();
            if (podSide != null) podSide.finish(); // nothing sent: it just exits
            undoAdd(conf, store, ip, hostVeth);
            throw e;
        }
        return result(conf, prev, subnetEnv, ip, hostVeth, hostMac, podMac);
    }

    /** The host veth's name for this attachment, refused while an earlier ADD's is still there. */
    private String unusedHostVeth() {
        String hostVeth = hostVethName(env.containerId(), env.ifname());
        if (Files.exists(SYS_NET.resolve(hostVeth))) {
            throw ifnameTaken("host interface " + hostVeth + " for container " + env.containerId() + " is still there: DEL it first");
        }
        return hostVeth;
    }

    /** The reference bridge plugin's words for an attachment whose interface already exists. */
    private CniException ifnameTaken(String details) {
        return new CniException(CniException.INTERNAL, "container veth name provided (" + env.ifname() + ") already exists", details);
    }

    /** The ADD result, the reference bridge plugin's shape, after a {@code prevResult}'s entries. */
    private String result(NetConf conf, Result prev, SubnetEnv subnetEnv, Ipv4Address ip, String hostVeth,
            MacAddress hostMac, MacAddress podMac) {
        Ipv4Cidr subnet = subnetEnv.subnet();
        Ipv4Address gateway = subnet.firstHost();
        List<Result.Iface> ifs = new ArrayList<>();
        List<Result.IpConfig> ips = new ArrayList<>();
        List<Result.Route> routes = new ArrayList<>();
        Map<String, Object> dns = Map.of();
        if (prev != null) {
            ifs.addAll(prev.interfaces());
            ips.addAll(prev.ips());
            routes.addAll(prev.routes());
            dns = prev.dns();
        }
        int base = ifs.size();
        ifs.add(new Result.Iface(conf.bridge(), bridgeMac(conf.bridge()), null));
        ifs.add(new Result.Iface(hostVeth, hostMac.toString(), null));
        ifs.add(new Result.Iface(env.ifname(), podMac.toString(), env.netns()));
        ips.add(new Result.IpConfig(ip + "/" + subnet.prefix(), conf.isGateway() ? gateway.toString() : null, base + 2));
        if (conf.isGateway()) {
            if (!sameCidr(subnetEnv.network(), subnet)) routes.add(new Result.Route(subnetEnv.network().toString(), null));
            if (conf.isDefaultGateway()) routes.add(new Result.Route("0.0.0.0/0", gateway.toString()));
        }
        return new Result(ifs, ips, routes, dns).toJson(conf.cniVersion());
    }

    /** The host side's failures, but a bridge that a parallel first ADD made just before this one. */
    private void checkHostSide(IpSession.Outcome o, int bridgeAt) {
        if (o.ok()) return;
        boolean other = o.exitCode() != 0 && o.failed().isEmpty(); // e.g. flock(1) or ip itself failed
        for (int k = 0; k < o.failed().size(); k++) {
            String msg = o.errors().get(k);
            if (o.failed().get(k) == bridgeAt && msg.contains("File exists")) continue;
            if (msg.contains("File exists") && o.failedOps().get(k).contains(" type veth ")) {
                throw ifnameTaken("netns " + env.netns() + ": " + msg.lines().findFirst().orElse(""));
            }
            other = true;
        }
        if (other) o.orThrow();
    }

    /** Takes back what a failed ADD made: its veth (which takes the pod end along) and its address. */
    private void undoAdd(NetConf conf, HostLocalStore store, Ipv4Address ip, String hostVeth) {
        if (conf.ipMasq()) {
            try {
                kernel.unmasquerade(env.containerId(), env.ifname());
            } catch (RuntimeException e) {
                System.err.println("weft: cleanup after failed ADD: " + e.getMessage());
            }
        }
        try {
            if (Files.exists(SYS_NET.resolve(hostVeth))) deleteNodeLink(hostVeth);
        } catch (RuntimeException e) {
            System.err.println("weft: cleanup after failed ADD: " + e.getMessage());
        }
        if (ip == null) return;
        try (Flock lock = store.lock()) {
            store.release(ip);
        } catch (IOException | RuntimeException e) {
            System.err.println("weft: cannot free " + ip + " after failed ADD: " + e.getMessage());
        }
    }

    // ---- DEL --------------------------------------------------------------------------------------------

    private String del(NetConf conf) throws IOException {
        env.requireForDel();
        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        Trace.mark("config");
        String hostVeth = hostVethName(env.containerId(), env.ifname());
        if (kernel.netlink()) {
            try (Flock lock = store.lock()) {
                store.releaseById(env.containerId(), env.ifname());
            }
            Trace.mark("ipam release");
            // by its host name where it is there: that works with the pod's namespace gone, and takes the pod end along
            if (Files.exists(SYS_NET.resolve(hostVeth))) {
                deleteNodeLink(hostVeth);
            } else if (env.netns() != null && Files.exists(Path.of(env.netns()))) {
                try (Rtnl pod = kernel.rtnl(env.netns())) {
                    pod.deleteLink(env.ifname());
                }
            }
            Trace.mark("link del");
            if (conf.ipMasq()) kernel.unmasquerade(env.containerId(), env.ifname());
            return null;
        }
        // Through iproute2 the veth's deletion (the kernel takes milliseconds) runs in its own process while the
        // address is freed under the lock here: no thread of our own needed.
        IpSession link = null;
        if (Files.exists(SYS_NET.resolve(hostVeth))) {
            link = kernel.open(Netns.CURRENT, List.of()).send(kernel.change(Link.delete(hostVeth))).flush(); // takes its peer along
        } else if (env.netns() != null && Files.exists(Path.of(env.netns()))) {
            link = kernel.open(podNetns(Path.of(env.netns())), List.of()).send(kernel.change(Link.delete(env.ifname()))).flush();
        }
        Trace.mark("link del started");
        try (Flock lock = store.lock()) {
            store.releaseById(env.containerId(), env.ifname());
        } finally {
            Trace.mark("ipam release");
            if (link != null) {
                IpSession.Outcome o = link.finish();
                Trace.mark("link del");
                for (String m : o.errors()) {
                    if (!m.contains("Cannot find device") && !m.contains("does not exist")) o.orThrow();
                }
                if (o.exitCode() != 0 && o.failed().isEmpty()) o.orThrow();
            }
        }
        if (conf.ipMasq()) kernel.unmasquerade(env.containerId(), env.ifname());
        return null;
    }

    /** Deletes {@code dev} in the node's namespace if it is there. */
    private void deleteNodeLink(String dev) {
        if (kernel.netlink()) {
            try (Rtnl rtnl = kernel.rtnl(null)) {
                rtnl.deleteLink(dev);
            }
            return;
        }
        try {
            kernel.apply(new IpBatch().add(Link.delete(dev)), Netns.CURRENT);
        } catch (IpException e) {
            String m = e.stderr();
            if (!m.contains("Cannot find device") && !m.contains("does not exist")) throw e;
        }
    }

    // ---- CHECK ------------------------------------------------------------------------------------------

    private String check(NetConf conf) throws IOException {
        return new Check(env).run(conf);
    }

    // ---- STATUS and GC (CNI 1.1) ------------------------------------------------------------------------

    private String status(NetConf conf) {
        require11(conf, "STATUS");
        readSubnetEnv(conf, CniException.UNAVAILABLE);
        return null;
    }

    private String gc(NetConf conf) throws IOException {
        require11(conf, "GC");
        if (conf.validAttachments() == null) {
            throw new CniException(CniException.INVALID_CONFIG,
                    "invalid network config: GC needs cni.dev/valid-attachments (an empty array frees everything)");
        }
        Set<String> valid = new HashSet<>();
        Set<String> validIds = new HashSet<>();
        for (NetConf.Attachment a : conf.validAttachments()) {
            valid.add(a.containerId().strip() + "\n" + a.ifname());
            validIds.add(a.containerId().strip());
        }
        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        if (!Files.isDirectory(store.dir())) return null;
        List<HostLocalStore.Allocation> stale = new ArrayList<>();
        try (Flock lock = store.lock()) {
            for (HostLocalStore.Allocation a : store.all()) {
                boolean ok = a.ifname() == null ? validIds.contains(a.containerId())
                        : valid.contains(a.containerId() + "\n" + a.ifname());
                if (ok) continue;
                store.release(a.ip());
                if (a.ifname() != null) stale.add(a);
            }
        }
        for (HostLocalStore.Allocation a : stale) {
            String hv = hostVethName(a.containerId(), a.ifname());
            if (Files.exists(SYS_NET.resolve(hv))) deleteNodeLink(hv);
            if (conf.ipMasq()) kernel.unmasquerade(a.containerId(), a.ifname());
        }
        return null;
    }

    private static void require11(NetConf conf, String cmd) {
        if (!CniVersion.atLeast(conf.cniVersion(), "1.1.0")) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "config version does not allow " + cmd,
                    "cniVersion " + conf.cniVersion() + " < 1.1.0");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** subnet.env is weftd's (or flanneld's) sign of life: without it the node has no subnet yet. */
    static SubnetEnv readSubnetEnv(NetConf conf, int codeWhenMissing) {
        Path f = Path.of(conf.subnetFile());
        try {
            return SubnetEnv.read(f);
        } catch (NoSuchFileException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: " + f + " does not exist",
                    "the node agent (weftd or flanneld) writes it once the node has a subnet; is it running?");
        } catch (IOException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: cannot read " + f + ": " + e.getMessage());
        } catch (ConfigException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: " + f + " is not a valid subnet.env: " + e.getMessage());
        }
    }

    /**
     * A pod namespace under /var/run/netns (how containerd names them) is handed to iproute2 by name: {@code ip -n}
     * saves the nsenter process a path needs.
     */
    static Netns podNetns(Path p) {
        Path dir = p.getParent();
        if (dir != null && (dir.toString().equals("/var/run/netns") || dir.toString().equals("/run/netns"))) {
            return Netns.named(p.getFileName().toString());
        }
        return Netns.path(p);
    }

    /** Compares without the record's equals (an invokedynamic bootstrap on first use). */
    private static boolean sameCidr(Ipv4Cidr a, Ipv4Cidr b) {
        return a.network().value() == b.network().value() && a.prefix() == b.prefix();
    }

    /** Host-side veth name derived from the attachment, so DEL and GC find it even with the pod's netns gone. */
    public static String hostVethName(String containerId, String ifname) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (byte b : (containerId.strip() + "/" + ifname).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        // zero-padded hex by hand: String.format starts Formatter (regex, locale data), ~1 ms in a cold JVM
        String hex = Integer.toHexString((int) (h ^ (h >>> 32)));
        return "veth" + "00000000".substring(hex.length()) + hex;
    }

    private static MacAddress randomMac() {
        long r = ThreadLocalRandom.current().nextLong() & 0xffff_ffff_ffffL;
        // locally administered (bit 1 of the first octet), unicast (bit 0 clear)
        r = (r & ~(0x01L << 40)) | (0x02L << 40);
        return new MacAddress(r);
    }

    private static String bridgeMac(String bridge) {
        try {
            return Files.readString(SYS_NET.resolve(bridge).resolve("address")).strip();
        } catch (IOException e) {
            return null;
        }
    }

}
