package io.weft.agent.subnet.etcd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS to etcd from flanneld's three flags: {@code --etcd-cafile} (whom to trust; the JDK's CAs when absent),
 * {@code --etcd-certfile} and {@code --etcd-keyfile} (the client certificate etcd's --client-cert-auth asks for).
 * PEM files as etcd, kubeadm and cfssl write them; keys in PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 RSA
 * ({@code BEGIN RSA PRIVATE KEY}).
 */
public final class EtcdTls {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    private EtcdTls() {}

    public static SSLContext context(Path caFile, Path certFile, Path keyFile) {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("--etcd-certfile and --etcd-keyfile go together: give both or neither");
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(caFile, "--etcd-cafile")) trust.setCertificateEntry("ca" + i++, c);
                tmf.init(trust);
            } else {
                tmf.init((KeyStore) null);
            }
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                Collection<? extends Certificate> chain = certificates(certFile, "--etcd-certfile");
                keys.setKeyEntry("client", privateKey(keyFile), new char[0], chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("etcd TLS files: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(Path file, String flag) throws IOException {
        byte[] pem = read(file, flag);
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certs.isEmpty()) throw new IllegalArgumentException(flag + " " + file + ": no PEM certificate in it");
            return certs;
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException(flag + " " + file + ": not a PEM certificate (" + e.getMessage() + ")");
        }
    }

    static PrivateKey privateKey(Path file) throws IOException {
        String text = new String(read(file, "--etcd-keyfile"), java.nio.charset.StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (!type.endsWith("PRIVATE KEY")) continue;
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            try {
                switch (type) {
                    case "PRIVATE KEY" -> {
                        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
                            try {
                                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                            } catch (java.security.spec.InvalidKeySpecException ignored) {
                                // try the next algorithm
                            }
                        }
                        throw new IllegalArgumentException("--etcd-keyfile " + file + ": a PKCS#8 key of an unsupported algorithm");
                    }
                    case "RSA PRIVATE KEY" -> {
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(rsaPkcs1ToPkcs8(der)));
                    }
                    default -> throw new IllegalArgumentException("--etcd-keyfile " + file + ": '" + type + "' keys are not "
                            + "read; convert it: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pk8.pem");
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("--etcd-keyfile " + file + ": unreadable key (" + e.getMessage() + ")");
            }
        }
        throw new IllegalArgumentException("--etcd-keyfile " + file + ": no PEM private key in it");
    }

    /** PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: SEQUENCE { 0, { rsaEncryption, NULL }, OCTET STRING }. */
    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] octets = tlv(0x04, pkcs1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(octets);
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) out.write(n >>> (8 * i));
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] read(Path file, String flag) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }
}
