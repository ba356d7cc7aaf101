package io.weft.cni.bridge;

import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import io.weft.core.config.ConfigException;
import io.weft.core.config.SubnetEnv;
import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What subnet.env says a pod on this node gets: per address family the cluster network, the node's subnet and
 * its gateway (the subnet's first host, on the bridge), in the order flannel's CNI plugin lists host-local's
 * ranges (IPv4 first), and the MTU. A family's index in that order is its host-local range id
 * ({@code last_reserved_ip.<id>}).
 */
public record PodNetwork(List<Family> families, int mtu) {

    /** One address family's share: {@code rangeId} as host-local numbers the range sets. */
    public record Family(IpCidr network, IpCidr subnet, int rangeId) {
        public IpAddress gateway() {
            return subnet.firstHost();
        }

        public int bits() {
            return subnet.bits();
        }
    }

    public static PodNetwork of(SubnetEnv env) {
        List<Family> out = new ArrayList<>(2);
        if (env.subnet() != null) out.add(new Family(env.network(), env.subnet(), out.size()));
        if (env.ipv6Subnet() != null) out.add(new Family(env.ipv6Network(), env.ipv6Subnet(), out.size()));
        return new PodNetwork(out, env.mtu());
    }

    /** subnet.env is weftd's (or flanneld's) sign of life: without it the node has no subnet yet. */
    public static PodNetwork read(NetConf conf, int codeWhenMissing) {
        return of(readSubnetEnv(conf, codeWhenMissing));
    }

    static SubnetEnv readSubnetEnv(NetConf conf, int codeWhenMissing) {
        Path f = Path.of(conf.subnetFile());
        try {
            return SubnetEnv.read(f);
        } catch (NoSuchFileException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: " + f + " does not exist",
                    "the node agent (weftd or flanneld) writes it once the node has a subnet; is it running?");
        } catch (IOException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: cannot read " + f + ": " + e.getMessage());
        } catch (ConfigException e) {
            throw new CniException(codeWhenMissing, "weftd is not ready: " + f + " is not a valid subnet.env: " + e.getMessage());
        }
    }
}
