package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Which lease store weftd uses is the user's to say once; a contradiction or a gap is one line naming the flags. */
class MainArgsTest {
    @TempDir
    Path dir;

    private String refused(String... args) throws Exception {
        Path conf = dir.resolve("net-conf.json");
        Files.writeString(conf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--net-config-path";
        all[args.length + 1] = conf.toString();
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            assertEquals(1, new CommandLine(new Main()).execute(all));
        } finally {
            System.setErr(err);
        }
        return buf.toString().strip();
    }

    @Test
    void twoLeaseStoresAreRefused() throws Exception {
        String out = refused("--kube-subnet-mgr", "--lease-dir", dir.toString());
        assertEquals("weftd: --kube-subnet-mgr and --lease-dir name 2 lease stores: give one", out);
        out = refused("--etcd-endpoints", "http://127.0.0.1:2379", "--lease-dir", dir.toString());
        assertEquals("weftd: --etcd-endpoints and --lease-dir name 2 lease stores: give one", out);
    }

    @Test
    void noLeaseStoreIsRefused() throws Exception {
        String out = refused();
        assertTrue(out.startsWith("weftd: no lease store: give --kube-subnet-mgr"), out);
    }

    @Test
    void badEtcdEndpointsAreNamed() throws Exception {
        assertEquals("weftd: --etcd-endpoints: 'etcd-1' is not a URL like http://10.0.0.1:2379", refused("--etcd-endpoints", "etcd-1"));
        assertEquals("weftd: --etcd-endpoints: ftp://10.0.0.1:2379: must be http:// or https://",
                refused("--etcd-endpoints", "ftp://10.0.0.1:2379"));
        assertEquals("weftd: --etcd-certfile and --etcd-keyfile go together: give both or neither",
                refused("--etcd-endpoints", "https://10.0.0.1:2379", "--etcd-certfile", dir.resolve("c.pem").toString()));
        assertTrue(refused("--etcd-endpoints", "https://10.0.0.1:2379", "--etcd-cafile", dir.resolve("none.pem").toString())
                .startsWith("weftd: --etcd-cafile " + dir.resolve("none.pem") + ": cannot read it"));
    }

    @Test
    void kubeFlagsWithoutTheKubeManagerAreRefused() throws Exception {
        String out = refused("--lease-dir", dir.toString(), "--kube-api-url", "http://127.0.0.1:1");
        assertEquals("weftd: --kubeconfig-file and --kube-api-url need --kube-subnet-mgr", out);
    }

    @Test
    void anUnreadableKubeconfigIsNamed() throws Exception {
        String out = refused("--kube-subnet-mgr", "--kubeconfig-file", dir.resolve("missing.yaml").toString());
        assertTrue(out.startsWith("weftd: --kubeconfig-file " + dir.resolve("missing.yaml") + ": cannot read it"), out);
    }

    @Test
    void remoteDebugAccessNeedsAuthentication() throws Exception {
        String leases = dir.resolve("leases").toString();
        assertTrue(refused("--lease-dir", leases, "--debug-listen", "0.0.0.0:10268").startsWith(
                "weftd: --debug-listen serves traffic captures to other machines, so it needs authentication: give "
                        + "--debug-tls-cert-file, --debug-tls-key-file and --debug-client-ca-file"));
        assertEquals("weftd: --debug-tls-cert-file, --debug-tls-key-file and --debug-client-ca-file go with --debug-listen "
                + "ADDRESS:PORT", refused("--lease-dir", leases, "--debug-client-ca-file", dir.resolve("ca.pem").toString()));
        String f = dir.resolve("x.pem").toString();
        assertEquals("weftd: --debug-listen 10268: give ADDRESS:PORT, e.g. 0.0.0.0:10268", refused("--lease-dir", leases,
                "--debug-listen", "10268", "--debug-tls-cert-file", f, "--debug-tls-key-file", f, "--debug-client-ca-file", f));
        assertTrue(refused("--lease-dir", leases, "--debug-listen", "0.0.0.0:10268", "--debug-tls-cert-file", f,
                "--debug-tls-key-file", f, "--debug-client-ca-file", f).startsWith("weftd: --debug-client-ca-file " + f
                + ": cannot read it"));
    }
}
