package io.weft.cni;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The build's AOT training run: whole calls of every command as a runtime makes them (config and result JSON,
 * subnet.env, the IPAM store under its flock, rtnetlink requests, the error objects), in a scratch directory and
 * with the dry-run kernel, which reads where the real one writes, so the cache holds the classes a real call loads
 * without the build changing the machine (or needing root: CHECK then finds nothing to check, and its classes are
 * loaded all the same).
 */
public final class Train {
    private Train() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir")).resolve("train");
        Files.createDirectories(dir);
        Path v4 = dir.resolve("subnet.env");
        Path dual = dir.resolve("subnet-dual.env");
        // plain writes: SubnetEnv.writeAtomically's temporary file would bring SecureRandom into the cache
        Files.writeString(v4, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        Files.writeString(dual, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\n"
                + "FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        for (int round = 0; round < 4; round++) {
            // mostly IPv4-only nodes, as most are; a dual-stack round too, so IPv6's classes are in the cache
            Path subnetFile = round == 3 ? dual : v4;
            String base = "\"name\":\"train\",\"type\":\"weft\",\"subnetFile\":\"" + subnetFile + "\",\"dataDir\":\"" + dir + "\"";
            for (String v : List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")) {
                // both bridge cases: missing (created under the lock) and present
                for (String bridge : List.of("lo", "weft-train0")) {
                    String id = "train-" + round + "-" + v + "-" + bridge;
                    String conf = "{\"cniVersion\":\"" + v + "\"," + base + ",\"bridge\":\"" + bridge + "\",\"isGateway\":true,"
                            + "\"hairpinMode\":true,\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}";
                    Skel.Outcome o = call("ADD", id, "/proc/self/ns/net", conf);
                    if (o.exitCode() != 0) throw new IllegalStateException("training ADD failed: " + o.stdout());
                    call("CHECK", id, "/proc/self/ns/net", conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + o.stdout() + "}");
                    call("DEL", id, "/proc/self/ns/net", conf);
                    call("DEL", id, null, conf);
                    for (String cmd : List.of("VERSION", "STATUS", "GC", "BOGUS")) call(cmd, null, null, conf);
                }
                // the errors a runtime meets most: bad JSON, an unknown version, missing fields and variables
                call("ADD", "train", "/proc/self/ns/net", "{");
                call("ADD", "train", "/proc/self/ns/net", "{\"cniVersion\":\"9.9.9\",\"name\":\"x\"}");
                call("ADD", "train", "/proc/self/ns/net", "{\"cniVersion\":\"1.1.0\"}");
                call("ADD", null, null, "{\"cniVersion\":\"" + v + "\"," + base + "}");
                call("DEL", "train-none", null, "{\"cniVersion\":\"" + v + "\"," + base + "}");
            }
        }
        System.err.println("weft: AOT training run done");
    }

    private static Skel.Outcome call(String command, String id, String netns, String conf) {
        return Main.execute(new CniEnv(command, id, netns, "eth0", null, "/usr/lib/cni"), conf, Kernel.DRY_RUN);
    }
}
