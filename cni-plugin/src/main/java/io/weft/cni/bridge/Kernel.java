package io.weft.cni.bridge;

import io.weft.cni.netlink.Rtnl;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every change the plugin makes to the node goes through here: rtnetlink sockets, forwarding, masquerade. The real
 * one applies them; the AOT training run's stand-in reads where the real one writes (see {@link Rtnl#dryRun()}),
 * so the build walks whole commands without changing the machine.
 */
public interface Kernel {
    /** An rtnetlink socket in the namespace at {@code netnsPath} (null: the node's, this process's own). */
    Rtnl rtnl(String netnsPath);

    /** Turns on forwarding of the family (32: IPv4, 128: IPv6), as the bridge plugin's isGateway does. */
    void enableForwarding(int bits);

    void masquerade(IpAddress pod, IpCidr cluster, String containerId, String ifname);

    void unmasquerade(String containerId, String ifname);

    Kernel REAL = new Kernel() {
        @Override
        public Rtnl rtnl(String netnsPath) {
            return Rtnl.open(netnsPath);
        }

        @Override
        public void enableForwarding(int bits) {
            Path f = Path.of(bits == 32 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding");
            try {
                if (!Files.readString(f).strip().equals("1")) Files.writeString(f, "1");
            } catch (IOException e) {
                System.err.println("weft: cannot enable " + (bits == 32 ? "IPv4" : "IPv6") + " forwarding: " + e.getMessage());
            }
        }

        @Override
        public void masquerade(IpAddress pod, IpCidr cluster, String containerId, String ifname) {
            IpMasq.add(pod, cluster, containerId, ifname);
        }

        @Override
        public void unmasquerade(String containerId, String ifname) {
            IpMasq.delete(containerId, ifname);
        }
    };

    /** For the AOT training run only: the same requests as reads, nothing changed. */
    Kernel DRY_RUN = new Kernel() {
        @Override
        public Rtnl rtnl(String netnsPath) {
            return Rtnl.dryRun();
        }

        @Override
        public void enableForwarding(int bits) {}

        @Override
        public void masquerade(IpAddress pod, IpCidr cluster, String containerId, String ifname) {}

        @Override
        public void unmasquerade(String containerId, String ifname) {}
    };
}
