package io.weft.cni.bridge;

import io.weft.cni.netlink.Nftables;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;

/**
 * The plugin's {@code ipMasq}: one masquerade rule per pod address for what the pod sends outside the cluster
 * network (not merely outside the node's subnet, as the bridge plugin does, which would hide pod addresses from
 * pods on other nodes), tagged with a comment naming the attachment so DEL and GC find it without knowing the
 * address. The rules live in nftables tables of the plugin's own, {@code ip weft-cni} and {@code ip6 weft-cni},
 * chain {@code postrouting} (nat, srcnat priority), written over nf_tables' netlink socket: no process, no
 * iptables binary needed. Leave it off when weftd runs with --ip-masq: the agent masquerades then.
 */
public final class IpMasq {
    public static final String TABLE = "weft-cni";
    public static final String CHAIN = "postrouting";

    private IpMasq() {}

    public static String comment(String containerId, String ifname) {
        return "weft:" + containerId + "/" + ifname;
    }

    public static void add(IpAddress pod, IpCidr cluster, String containerId, String ifname) {
        try (Nftables nft = Nftables.open(null)) {
            nft.appendMasquerade(TABLE, CHAIN, pod, cluster, comment(containerId, ifname));
        }
    }

    /** Deletes every rule carrying the attachment's comment, both families; none is fine (DEL is idempotent). */
    public static void delete(String containerId, String ifname) {
        try (Nftables nft = Nftables.open(null)) {
            nft.deleteByComment(TABLE, CHAIN, comment(containerId, ifname));
        }
    }
}
