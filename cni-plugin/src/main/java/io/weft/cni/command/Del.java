package io.weft.cni.command;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.bridge.NodeLinks;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.netlink.Rtnl;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.skel.Trace;
import io.weft.cni.spec.NetConf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * DEL: frees the attachment's addresses and deletes its veth, by the host end's derived name where it is there
 * (that works with the pod's namespace gone, and takes the pod end along), else the pod end by CNI_IFNAME inside
 * the pod. Needs no subnet.env; repeating it, or DEL of something never added, succeeds.
 */
public final class Del implements Skel.Command {
    private final Kernel kernel;

    public Del(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String run(CniEnv env, NetConf conf) throws IOException {
        HostLocalStore store = HostLocalStore.forNetwork(conf.dataDir(), conf.name());
        String hostVeth = NodeLinks.vethName(env.containerId(), env.ifname());
        try (Flock lock = store.lock()) {
            Trace.mark("lock held");
            store.releaseById(env.containerId(), env.ifname());
        }
        Trace.mark("ipam release");
        if (NodeLinks.exists(hostVeth)) {
            try (Rtnl rtnl = kernel.rtnl(null)) {
                rtnl.deleteLink(hostVeth);
            }
        } else if (env.netns() != null && Files.exists(Path.of(env.netns()))) {
            try (Rtnl pod = kernel.rtnl(env.netns())) {
                pod.deleteLink(env.ifname());
            }
        }
        Trace.mark("link del");
        if (conf.ipMasq()) kernel.unmasquerade(env.containerId(), env.ifname());
        return null;
    }
}
