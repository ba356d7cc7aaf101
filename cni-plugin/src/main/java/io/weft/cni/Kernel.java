package io.weft.cni;

import io.weft.cni.bridge.IpMasq;
import io.weft.cni.netlink.Native;
import io.weft.cni.netlink.Rtnl;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpSession;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Every change the plugin makes to the node, in one place: the real one applies it through rtnetlink (the
 * plugin's JNI library, {@link #netlink()}) or, without that library, through core's iproute layer; the AOT
 * training run's stand-in sends reads in place of the changes (a netlink read, or the same number of iproute2
 * processes with read-only commands), so the build can walk a whole ADD and DEL without changing the machine.
 */
interface Kernel {
    /** True when ADD, DEL and GC talk rtnetlink themselves: the JNI library is loaded. */
    default boolean netlink() {
        return Native.available();
    }

    /** An rtnetlink socket in the namespace at {@code netnsPath} (null: the node's, this process's own). */
    Rtnl rtnl(String netnsPath);

    void apply(IpBatch batch, Netns ns);

    /** Starts an {@code ip -batch} process in {@code ns} (under {@code prefix}, e.g. flock), commands to follow. */
    IpSession open(Netns ns, List<String> prefix);

    /** What to send a session for {@code op}: the op itself, or the dry run's read. */
    IpOp change(IpOp op);

    void enableForwarding();

    void masquerade(Ipv4Address pod, Ipv4Cidr cluster, String containerId, String ifname);

    void unmasquerade(String containerId, String ifname);

    Kernel REAL = new Kernel() {
        @Override
        public Rtnl rtnl(String netnsPath) {
            return Rtnl.open(netnsPath);
        }

        @Override
        public void apply(IpBatch batch, Netns ns) {
            batch.apply(ns);
        }

        @Override
        public IpSession open(Netns ns, List<String> prefix) {
            return IpSession.start(ns, prefix);
        }

        @Override
        public IpOp change(IpOp op) {
            return op;
        }

        @Override
        public void enableForwarding() {
            Path f = Path.of("/proc/sys/net/ipv4/ip_forward");
            try {
                if (!Files.readString(f).strip().equals("1")) Files.writeString(f, "1");
            } catch (IOException e) {
                System.err.println("weft: cannot enable IPv4 forwarding: " + e.getMessage());
            }
        }

        @Override
        public void masquerade(Ipv4Address pod, Ipv4Cidr cluster, String containerId, String ifname) {
            IpMasq.add(pod, cluster, containerId, ifname);
        }

        @Override
        public void unmasquerade(String containerId, String ifname) {
            IpMasq.delete(containerId, ifname);
        }
    };

    /** For the AOT training run only: same processes, nothing changed. */
    Kernel DRY_RUN = new Kernel() {
        @Override
        public Rtnl rtnl(String netnsPath) {
            return Rtnl.dryRun();
        }

        @Override
        public void apply(IpBatch batch, Netns ns) {
            // In the build's own namespace whatever ns says: entering one (nsenter, ip -n) needs root, a build not.
            IpBatch read = new IpBatch();
            for (int i = 0; i < batch.size(); i++) read.add(IpOp.ip("link", "show", "dev", "lo"));
            read.apply(Netns.CURRENT);
        }

        @Override
        public IpSession open(Netns ns, List<String> prefix) {
            return IpSession.start(Netns.CURRENT, prefix);
        }

        @Override
        public IpOp change(IpOp op) {
            return IpOp.ip("link", "show", "dev", "lo");
        }

        @Override
        public void enableForwarding() {}

        @Override
        public void masquerade(Ipv4Address pod, Ipv4Cidr cluster, String containerId, String ifname) {}

        @Override
        public void unmasquerade(String containerId, String ifname) {}
    };
}
