package io.weft.agent.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.lab.etcd.LabEtcd;
import io.weft.agent.subnet.SubnetException;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcd over TLS with client certificates, as clusters run it: a real etcd with --client-cert-auth, certificates
 * made by openssl the way kubeadm makes them (RSA, the client key in PKCS#1) and in PKCS#8.
 */
class EtcdTlsTest {
    static Path dir;
    static LabEtcd etcd;

    static void sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), script + "\n" + out);
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("weft-etcd-tls-");
        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=weft-test-ca 2>/dev/null");
        sh("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=etcd 2>/dev/null && "
                + "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > server.ext && "
                + "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null");
        sh("openssl genrsa -traditional -out client.key 2048 2>/dev/null && "
                + "openssl req -new -key client.key -out client.csr -subj /CN=weftd 2>/dev/null && "
                + "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
                + "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext 2>/dev/null && "
                + "openssl pkcs8 -topk8 -nocrypt -in client.key -out client.pk8");
        assertTrue(Files.readString(dir.resolve("client.key")).contains("BEGIN RSA PRIVATE KEY"), "PKCS#1, as kubeadm writes");
        etcd = LabEtcd.startTls(new LabEtcd.Tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"),
                dir.resolve("client.pem"), dir.resolve("client.key")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (etcd != null) etcd.close();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    EtcdClient client(String key) {
        return new EtcdClient(List.of(etcd.url()), EtcdTls.context(dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve(key)));
    }

    @Test
    void leasesWorkOverTlsWithAPkcs1OrPkcs8ClientKey() throws Exception {
        java.util.Set<String> subnets = new java.util.HashSet<>();
        for (String key : List.of("client.key", "client.pk8")) {
            try (EtcdClient c = client(key)) {
                c.put("/coreos.com/network/config", "{\"Network\":\"10.244.0.0/16\"}", 0);
            }
            EtcdSubnetManager m = new EtcdSubnetManager(client(key), "/coreos.com/network", null);
            try {
                LeaseRecord r = LeaseRecord.vxlan(Ipv4Address.parse("192.168.1.1"), 1, MacAddress.parse("0a:00:00:00:00:01"));
                String subnet = m.acquire(r).subnet().toString();
                assertTrue(subnet.startsWith("10.244."), key + ": " + subnet);
                subnets.add(subnet);
            } finally {
                m.close();
            }
        }
        assertEquals(1, subnets.size(), "the second agent, same PublicIP, keeps the first one's subnet: " + subnets);
    }

    @Test
    void withoutAClientCertificateEtcdRefusesAndTheErrorSaysTls() {
        EtcdSubnetManager m = new EtcdSubnetManager(new EtcdClient(List.of(etcd.url()), EtcdTls.context(dir.resolve("ca.pem"), null, null)),
                "/coreos.com/network", null);
        try {
            SubnetException e = assertThrows(SubnetException.class, m::config);
            assertTrue(e.getMessage().contains("TLS with etcd at " + etcd.url() + " failed") || e.getMessage().contains("cannot reach etcd"),
                    e.getMessage());
        } finally {
            m.close();
        }
    }

    @Test
    void anUntrustedServerIsATlsError() {
        EtcdSubnetManager m = new EtcdSubnetManager(new EtcdClient(List.of(etcd.url()), EtcdTls.context(null, null, null)),
                "/coreos.com/network", null);
        try {
            SubnetException e = assertThrows(SubnetException.class, m::config);
            assertTrue(e.getMessage().startsWith("TLS with etcd at " + etcd.url() + " failed"), e.getMessage());
            assertTrue(e.getMessage().contains("--etcd-cafile"), e.getMessage());
        } finally {
            m.close();
        }
    }

    @Test
    void anEcSec1KeySaysHowToConvertIt() throws Exception {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out ec.key");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EtcdTls.privateKey(dir.resolve("ec.key")));
        assertTrue(e.getMessage().contains("'EC PRIVATE KEY' keys are not read; convert it: openssl pkcs8 -topk8"), e.getMessage());
    }
}
