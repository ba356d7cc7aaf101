package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.weft.agent.subnet.SubnetException;
import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
import java.util.ArrayList;
import java.util.List;

/** A Node's subnets: its spec.podCIDR and spec.podCIDRs, one per family, as flannel's kube subnet manager reads them. */
final class PodCidrs {
    private PodCidrs() {}

    /** spec.podCIDR, else the first IPv4 entry of spec.podCIDRs (dual-stack clusters), else null. */
    static Ipv4Cidr ipv4(Node n) {
        if (n.getSpec() == null) return null;
        List<String> candidates = new ArrayList<>();
        if (n.getSpec().getPodCIDR() != null) candidates.add(n.getSpec().getPodCIDR());
        if (n.getSpec().getPodCIDRs() != null) candidates.addAll(n.getSpec().getPodCIDRs());
        for (String c : candidates) {
            if (c == null || c.isBlank() || c.contains(":")) continue;
            try {
                return Ipv4Cidr.parse(c.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("spec.podCIDR '" + c + "': " + e.getMessage());
            }
        }
        return null;
    }

    /** The first IPv6 entry of spec.podCIDRs (or spec.podCIDR), as flannel's nodeToLease takes it; else null. */
    static Ipv6Cidr ipv6(Node n) {
        if (n.getSpec() == null) return null;
        List<String> candidates = new ArrayList<>();
        if (n.getSpec().getPodCIDRs() != null) candidates.addAll(n.getSpec().getPodCIDRs());
        if (n.getSpec().getPodCIDR() != null) candidates.add(n.getSpec().getPodCIDR());
        for (String c : candidates) {
            if (c == null || !c.contains(":")) continue;
            try {
                return Ipv6Cidr.parse(c.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("spec.podCIDRs '" + c + "': " + e.getMessage());
            }
        }
        return null;
    }

    /** This node's IPv6 entry of spec.podCIDRs, as flannel's AcquireLease takes it, checked against IPv6Network. */
    static Ipv6Cidr ownIpv6(Node node, NetConf conf) {
        String nodeName = node.getMetadata().getName();
        Ipv6Cidr subnet6 = ipv6(node);
        if (subnet6 == null) {
            throw new SubnetException("node " + nodeName + " has no IPv6 entry in spec.podCIDRs, and EnableIPv6 is on: the"
                    + " cluster must hand out dual-stack node subnets (kube-controller-manager --allocate-node-cidrs=true"
                    + " --cluster-cidr=" + conf.network() + "," + conf.ipv6Network() + ")");
        }
        if (!conf.ipv6Network().contains(subnet6)) {
            throw new SubnetException("node " + nodeName + " spec.podCIDRs entry " + subnet6 + " is outside the IPv6Network "
                    + conf.ipv6Network() + " of net-conf.json (it must match kube-controller-manager's --cluster-cidr)");
        }
        return subnet6;
    }
}
