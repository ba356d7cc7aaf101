package io.weft.cni.command;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.bridge.NodeLinks;
import io.weft.cni.ipam.Flock;
import io.weft.cni.ipam.HostLocalStore;
import io.weft.cni.netlink.Rtnl;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * GC: frees every allocation of the network (both families) whose attachment is not in
 * {@code cni.dev/valid-attachments}, and deletes that attachment's veth and masquerade rules.
 */
public final class Gc implements Skel.Command {
    private final Kernel kernel;

    public Gc(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String run(CniEnv env, NetConf conf) throws IOException {
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
        Set<String> stale = new LinkedHashSet<>(); // "id\nifname" of each attachment freed, once for all its families
        try (Flock lock = store.lock()) {
            for (HostLocalStore.Allocation a : store.all()) {
                boolean ok = a.ifname() == null ? validIds.contains(a.containerId())
                        : valid.contains(a.containerId() + "\n" + a.ifname());
                if (ok) continue;
                store.release(a.ip());
                if (a.ifname() != null) stale.add(a.containerId() + "\n" + a.ifname());
            }
        }
        for (String s : stale) {
            int nl = s.indexOf('\n');
            String id = s.substring(0, nl);
            String ifname = s.substring(nl + 1);
            String hv = NodeLinks.vethName(id, ifname);
            if (NodeLinks.exists(hv)) {
                try (Rtnl rtnl = kernel.rtnl(null)) {
                    rtnl.deleteLink(hv);
                }
            }
            if (conf.ipMasq()) kernel.unmasquerade(id, ifname);
        }
        return null;
    }
}
