package io.weft.core.iproute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A device's per-namespace kernel settings under /proc/sys/net, set in the namespace a {@link Netns} names: written
 * directly in this process's own namespace (a DaemonSet's agent, and an agent started with {@code ip netns exec}),
 * through {@code sysctl} entered into any other. The slash form of the key is used because device names carry dots
 * ({@code flannel.1}).
 */
public final class DeviceSysctl {
    private DeviceSysctl() {}

    /**
     * Turns off router advertisements on {@code device}, as flannel's newVXLANDevice does for every VXLAN device: a
     * pod that sends one across the overlay must not give a node an address or a default route through it. False
     * when the setting could not be made (IPv6 disabled on the node: there is nothing to accept then).
     */
    public static boolean refuseRouterAdvertisements(Netns ns, String device) {
        return set(ns, "net/ipv6/conf/" + device + "/accept_ra", "0");
    }

    static boolean set(Netns ns, String key, String value) {
        if (ns instanceof Netns.Current) {
            try {
                Files.writeString(Path.of("/proc/sys", key), value);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        return IpRunner.run(ns.exec(List.of("sysctl", "-q", "-w", key + "=" + value)), null).exitCode() == 0;
    }
}
