package io.weft.lab.cluster;

import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.RouteEntry;
import io.weft.core.net.IpCidr;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** When a cluster has converged: every node routes every other node's subnets, IPv4 and IPv6 as subnet.env lists them. */
final class Convergence {
    private Convergence() {}

    static void await(LabCluster lab, Duration timeout, List<LabCluster.Node> nodes) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<List<IpCidr>> subnets = new ArrayList<>();
        for (LabCluster.Node n : nodes) {
            SubnetEnv env = lab.awaitSubnetEnv(n, timeout);
            List<IpCidr> own = new ArrayList<>();
            if (env.subnet() != null) own.add(env.subnet());
            if (env.ipv6Subnet() != null) own.add(env.ipv6Subnet());
            subnets.add(own);
        }
        while (true) {
            boolean all = true;
            for (int i = 0; i < nodes.size(); i++) {
                IpReader r = new IpReader(nodes.get(i).ns());
                List<IpCidr> have = new ArrayList<>(r.routes().stream().map(RouteEntry::dst).toList());
                have.addAll(r.routes6().stream().map(RouteEntry::dst).toList());
                for (int j = 0; j < subnets.size(); j++) if (i != j && !have.containsAll(subnets.get(j))) all = false;
            }
            if (all) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("routes did not converge within " + timeout);
            Thread.sleep(100);
        }
    }
}
