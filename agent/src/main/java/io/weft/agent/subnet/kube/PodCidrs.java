package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.api.model.Node;
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

}
