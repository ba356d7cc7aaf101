package io.weft.agent.subnet.etcd;

import io.weft.agent.tls.PemTls;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import javax.net.ssl.SSLContext;

/**
 * TLS to etcd from flanneld's three flags: {@code --etcd-cafile} (whom to trust; the JDK's CAs when absent),
 * {@code --etcd-certfile} and {@code --etcd-keyfile} (the client certificate etcd's --client-cert-auth asks for).
 */
public final class EtcdTls {
    static final PemTls.Flags FLAGS = new PemTls.Flags("--etcd-cafile", "--etcd-certfile", "--etcd-keyfile");

    private EtcdTls() {}

    public static SSLContext context(Path caFile, Path certFile, Path keyFile) {
        return PemTls.client(caFile, certFile, keyFile, FLAGS);
    }

    static PrivateKey privateKey(Path file) throws IOException {
        return PemTls.privateKey(file, FLAGS.key());
    }
}
