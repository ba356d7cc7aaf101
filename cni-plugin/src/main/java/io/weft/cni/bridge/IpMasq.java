package io.weft.cni.bridge;

import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpRunner;
import io.weft.core.iproute.Netns;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv4Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * The plugin's {@code ipMasq}: one nat POSTROUTING rule per pod, masquerading what the pod sends outside the
 * cluster network (not merely outside the node's subnet, as the bridge plugin does, which would hide pod
 * addresses from pods on other nodes), tagged with a comment naming the attachment so DEL and GC find it
 * without knowing the address. Leave it off when weftd runs with --ip-masq: the agent masquerades then.
 */
public final class IpMasq {
    private IpMasq() {}

    static final String TOOL = "iptables";

    public static String comment(String containerId, String ifname) {
        return "weft:" + containerId + "/" + ifname;
    }

    private static List<String> rule(Ipv4Address pod, Ipv4Cidr cluster, String comment) {
        return List.of("-s", pod + "/32", "!", "-d", cluster.toString(), "-m", "comment", "--comment", comment, "-j", "MASQUERADE");
    }

    public static void add(Ipv4Address pod, Ipv4Cidr cluster, String containerId, String ifname) {
        List<String> a = new ArrayList<>(List.of("-w", "5", "-t", "nat", "-A", "POSTROUTING"));
        a.addAll(rule(pod, cluster, comment(containerId, ifname)));
        IpBatch.run(Netns.CURRENT, new IpOp(TOOL, a));
    }

    /** Deletes every rule carrying the attachment's comment; none is fine (DEL is idempotent). */
    public static void delete(String containerId, String ifname) {
        String tag = "--comment " + comment(containerId, ifname);
        IpRunner.Result r = IpRunner.run(Netns.CURRENT.command(TOOL, List.of("-w", "5", "-t", "nat", "-S", "POSTROUTING")), null);
        if (r.exitCode() != 0) {
            throw new IpException(r.command(), r.exitCode(), r.stderr(), "cannot list nat POSTROUTING to remove " + tag);
        }
        for (String raw : r.stdout().lines().toList()) {
            String line = raw.replace("\"", ""); // -S quotes comments; ids and ifnames hold no spaces or quotes
            if (!line.startsWith("-A POSTROUTING ") || !(line.contains(tag + " ") || line.endsWith(tag))) continue;
            List<String> a = new ArrayList<>(List.of("-w", "5", "-t", "nat", "-D", "POSTROUTING"));
            for (String w : line.substring("-A POSTROUTING ".length()).split(" ")) a.add(w);
            IpBatch.run(Netns.CURRENT, new IpOp(TOOL, a));
        }
    }
}
