package io.weft.cni;

import io.weft.cni.ipam.Allocator;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import io.weft.cni.spec.Result;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The build's AOT training run: walks the code paths of the commands a runtime calls for every pod (config and
 * result JSON, subnet.env, the IPAM store with its flock, iproute2 processes, the error objects) in a scratch
 * directory, without changing anything in the kernel, so the cache holds the classes a real ADD or DEL loads.
 *
 * <p>Only those: every class in the cache is loaded at every start whether the call needs it or not, so the
 * cache is kept to what ADD, DEL, VERSION, STATUS and GC use. CHECK (which runtimes seldom call) reads the
 * kernel through core's IpReader and jackson-databind; training it put ~800 more classes in the cache and cost
 * every ADD and DEL a few milliseconds of start-up. {@code Train DIR check} makes CHECK's own cache instead
 * (weft-check.aot, the launcher's choice for CHECK): a whole CHECK after an ADD, with core's ip -j reader.
 */
public final class Train {
    private Train() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir")).resolve("train");
        boolean check = args.length > 1 && args[1].equals("check");
        Files.createDirectories(dir);
        Path subnetFile = dir.resolve("subnet.env");
        // plain write: SubnetEnv.writeAtomically's temporary file would bring SecureRandom into the cache
        Files.writeString(subnetFile, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        String base = "\"name\":\"train\",\"type\":\"weft\",\"subnetFile\":\"" + subnetFile + "\",\"dataDir\":\"" + dir + "\"";
        for (int round = 0; round < (check ? 0 : 3); round++) {
            for (String v : List.of("0.3.1", "0.4.0", "1.0.0", "1.1.0")) {
                String conf = "{\"cniVersion\":\"" + v + "\"," + base + ",\"isGateway\":true,\"hairpinMode\":true,"
                        + "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}";
                NetConf nc = NetConf.parse(conf);
                SubnetEnv env = SubnetEnv.read(Path.of(nc.subnetFile()));
                HostLocalStore store = HostLocalStore.forNetwork(nc.dataDir(), nc.name());
                Ipv4Address ip;
                try (Flock lock = store.lock()) {
                    ip = new Allocator(store, env.subnet(), env.subnet().firstHost()).allocate("c" + round + v, "eth0");
                }
                Result r = new Result(List.of(new Result.Iface("cni0", "0a:58:0a:f4:01:01", null),
                        new Result.Iface("veth12345678", "0a:58:0a:f4:01:02", null),
                        new Result.Iface("eth0", "0a:58:0a:f4:01:03", "/var/run/netns/x")),
                        List.of(new Result.IpConfig(ip + "/24", "10.244.1.1", 2)),
                        List.of(new Result.Route("10.244.0.0/16", null), new Result.Route("0.0.0.0/0", "10.244.1.1")), Map.of());
                String json = r.toJson(v);
                Result.fromJson(io.weft.cni.spec.Json.parseObject(json));
                NetConf.parse("{\"cniVersion\":\"" + v + "\"," + base + ",\"prevResult\":" + json + "}");
                Plugin.version("{\"cniVersion\":\"" + v + "\"}");
                Plugin.hostVethName("c" + round, "eth0");
                try (Flock lock = store.lock()) {
                    store.releaseById("c" + round + v, "eth0");
                }
                for (String cmd : List.of("VERSION", "STATUS", "GC", "BOGUS")) {
                    Main.execute(new CniEnv(cmd, null, null, null, null, null), conf);
                }
                // DEL of an attachment that does not exist: IPAM under the lock, no kernel change
                Main.execute(new CniEnv("DEL", "train-none", null, "eth0", null, "/usr/lib/cni"), conf);
                Main.execute(new CniEnv("ADD", "train", "/proc/self/ns/net", "eth0", null, "/usr/lib/cni"), "{");
                for (String bad : List.of("{", "[]", "{\"cniVersion\":\"9.9.9\",\"name\":\"x\"}", "{\"cniVersion\":\"1.1.0\"}")) {
                    try {
                        NetConf.parse(bad);
                    } catch (CniException e) {
                        e.toJson(v);
                    }
                }
                try {
                    new Plugin(new CniEnv("ADD", null, null, null, null, null)).run(conf);
                } catch (CniException e) {
                    e.toJson(v);
                }
            }
        }
        // Whole calls as a runtime makes them, with the dry-run kernel: the ADD and DEL code paths, both bridge
        // cases (missing: created under the lock; present: host side in parallel with IPAM).
        for (int round = 0; round < 3; round++) {
            for (String bridge : List.of("lo", "weft-train0")) {
                String id = "train-" + round + "-" + bridge;
                String conf = "{\"cniVersion\":\"1.1.0\"," + base + ",\"bridge\":\"" + bridge + "\"}";
                CniEnv add = new CniEnv("ADD", id, "/proc/self/ns/net", "eth0", null, "/usr/lib/cni");
                Main.Outcome o = Main.execute(add, conf, Kernel.DRY_RUN);
                if (o.exitCode() != 0) throw new IllegalStateException("training ADD failed: " + o.stdout());
                if (check) {
                    // the pod's reads go through nsenter, which a non-root build may not run: CHECK then fails
                    // after its host-side reads, the classes are loaded all the same
                    String withPrev = conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + o.stdout() + "}";
                    Main.execute(new CniEnv("CHECK", id, "/proc/self/ns/net", "eth0", null, "/usr/lib/cni"), withPrev, Kernel.DRY_RUN);
                }
                Main.execute(new CniEnv("DEL", id, "/proc/self/ns/net", "eth0", null, "/usr/lib/cni"), conf, Kernel.DRY_RUN);
                Main.execute(new CniEnv("DEL", id, null, "eth0", null, "/usr/lib/cni"), conf, Kernel.DRY_RUN);
            }
        }
        // a pod namespace the way containerd names them (ip -n NAME), which the dry run above does not reach
        Netns named = Plugin.podNetns(Path.of("/var/run/netns/train"));
        named.command("ip", List.of("-force", "-batch", "-"));
        named.linkTarget();
        if (check) {
            new io.weft.core.iproute.IpReader(Netns.CURRENT).link("lo");
            new io.weft.core.iproute.IpReader(Netns.CURRENT).addresses("lo");
            new io.weft.core.iproute.IpReader(Netns.CURRENT).routes();
        }
        System.err.println("weft: AOT training run done");
    }
}
