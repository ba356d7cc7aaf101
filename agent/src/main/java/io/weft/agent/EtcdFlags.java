package io.weft.agent;

import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.subnet.etcd.EtcdClient;
import io.weft.agent.subnet.etcd.EtcdSubnetManager;
import io.weft.agent.subnet.etcd.EtcdTls;
import io.weft.core.config.NetConf;
import io.weft.core.net.Ipv4Cidr;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** flanneld's etcd flags (main.go), and the etcd subnet manager they make. */
public final class EtcdFlags {
    /** flanneld's default: etcd on this machine, at its old port and its new one. */
    public static final String DEFAULT_ENDPOINTS = "http://127.0.0.1:4001,http://127.0.0.1:2379";

    @Option(names = "--etcd-endpoints", description = "Keep leases in etcd at these comma-separated http:// or https:// URLs, laid out "
            + "as flannel's (the default store, at " + DEFAULT_ENDPOINTS + ", when neither --kube-subnet-mgr nor --lease-dir is given).")
    String endpoints;

    @Option(names = "--etcd-prefix", defaultValue = EtcdSubnetManager.DEFAULT_PREFIX,
            description = "etcd key prefix (default: ${DEFAULT-VALUE}, flannel's).")
    String prefix;

    @Option(names = "--etcd-cafile", description = "CA certificate (PEM) that signed etcd's server certificate.")
    Path caFile;

    @Option(names = "--etcd-certfile", description = "Client certificate (PEM) for etcd's --client-cert-auth.")
    Path certFile;

    @Option(names = "--etcd-keyfile", description = "The client certificate's private key (PEM: PKCS#8 or PKCS#1 RSA).")
    Path keyFile;

    @Option(names = "--etcd-username", description = "etcd user, when etcd has authentication enabled.")
    String username;

    @Option(names = "--etcd-password", description = "That user's password (or $ETCD_PASSWORD, kept out of the process list).")
    String password;

    /**
     * The etcd subnet manager: network config from etcd unless {@code given}; {@code previous} is subnet.env's
     * subnet and {@code previousV6} its IPv6 one, taken again when free (flannel's main.go newSubnetManager).
     */
    SubnetManager create(NetConf given, Ipv4Cidr previous, io.weft.core.net.Ipv6Cidr previousV6, Map<String, String> env) {
        boolean tls = caFile != null || certFile != null || keyFile != null;
        EtcdClient etcd = new EtcdClient(EtcdClient.parseEndpoints(endpoints != null ? endpoints : DEFAULT_ENDPOINTS),
                tls ? EtcdTls.context(caFile, certFile, keyFile) : null);
        if (username != null) etcd.withCredentials(username, password != null ? password : env.get("ETCD_PASSWORD"));
        return new EtcdSubnetManager(etcd, prefix, given, previous, previousV6);
    }
}
