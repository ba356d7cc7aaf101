package io.weft.agent.backend.userspace;

import io.weft.agent.Agent;
import io.weft.agent.subnet.LocalDirSubnetManager;
import io.weft.core.config.NetConfParser;
import java.nio.file.Path;
import java.time.Duration;

/**
 * weftd's start-up with the userspace datapath plugged into {@link Agent.BackendFactory} exactly as Main
 * should wire it ({@code conf.isUserspace() ? UserspaceVxlanBackend.create(...) : Agent.defaultBackend(...)}),
 * so the whole agent (lease-dir subnet manager, reconciler, subnet.env, /metrics) runs over the userspace
 * datapath in tests before Main itself is wired. Takes weftd's own flags (the ones LabCluster passes).
 */
public final class WeftdWithUserspace {
    public static void main(String[] a) throws Exception {
        String iface = null;
        Path leaseDir = null;
        Path netConf = null;
        Path subnetFile = Path.of("/run/flannel/subnet.env");
        Duration resync = Duration.ofSeconds(2);
        int healthzPort = 0;
        for (int i = 0; i < a.length; i++) {
            switch (a[i]) {
                case "--iface" -> iface = a[++i];
                case "--lease-dir" -> leaseDir = Path.of(a[++i]);
                case "--net-config-path" -> netConf = Path.of(a[++i]);
                case "--subnet-file" -> subnetFile = Path.of(a[++i]);
                case "--resync-interval" -> resync = Duration.ofMillis(Long.parseLong(a[++i].replace("s", "")) * 1000);
                case "--healthz-port" -> healthzPort = Integer.parseInt(a[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + a[i]);
            }
        }
        var manager = new LocalDirSubnetManager(leaseDir, NetConfParser.read(netConf));
        Agent agent = new Agent(new Agent.Settings(iface, null, subnetFile, false, "127.0.0.1", healthzPort, resync),
                manager, (ns, conf, u, publicIp, mac, metrics, http) -> conf.isUserspace()
                        ? UserspaceVxlanBackend.create(ns, conf, u, publicIp, mac, metrics, http)
                        : Agent.defaultBackend(ns, conf, u, publicIp, mac, metrics, http));
        Runtime.getRuntime().addShutdownHook(new Thread(agent::stop));
        agent.run();
    }
}
