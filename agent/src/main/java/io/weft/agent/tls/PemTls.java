package io.weft.agent.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS contexts from PEM files as etcd, kubeadm and cfssl write them: certificates, and keys in PKCS#8
 * ({@code BEGIN PRIVATE KEY}) or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}). Every error names the flag that gave
 * the file ({@link Flags}), and never the key's contents.
 */
public final class PemTls {
    private static final Logger LOG = Logger.getLogger(PemTls.class.getName());
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    /** The flags that name the CA, certificate and key files, for error lines. */
    public record Flags(String ca, String cert, String key) {}

    private PemTls() {}

    /**
     * A client context: trusts {@code caFile}'s certificates (the JDK's CAs when null), presents {@code certFile}
     * with {@code keyFile} when given.
     */
    public static SSLContext client(Path caFile, Path certFile, Path keyFile, Flags flags) {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(flags.cert() + " and " + flags.key() + " go together: give both or neither");
        }
        return context(caFile, certFile, keyFile, flags);
    }

    /** A server context that presents {@code certFile} and trusts only {@code clientCaFile} for client certificates. */
    public static SSLContext server(Path certFile, Path keyFile, Path clientCaFile, Flags flags) {
        if (certFile == null || keyFile == null || clientCaFile == null) {
            throw new IllegalArgumentException(flags.cert() + ", " + flags.key() + " and " + flags.ca() + " are all needed");
        }
        return context(clientCaFile, certFile, keyFile, flags);
    }

    private static SSLContext context(Path caFile, Path certFile, Path keyFile, Flags flags) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(caFile, flags.ca())) trust.setCertificateEntry("ca" + i++, c);
                tmf.init(trust);
            } else {
                tmf.init((KeyStore) null);
            }
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                Collection<? extends Certificate> chain = certificates(certFile, flags.cert());
                keys.setKeyEntry("own", privateKey(keyFile, flags.key()), new char[0], chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("TLS files (" + flags.ca() + ", " + flags.cert() + ", " + flags.key() + "): "
                    + e.getMessage(), e);
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

    /** The private key in {@code file}; a key file others can read gets one warning (it is a secret). */
    public static PrivateKey privateKey(Path file, String flag) throws IOException {
        warnIfReadableByOthers(file, flag);
        String text = new String(read(file, flag), java.nio.charset.StandardCharsets.US_ASCII);
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
                        throw new IllegalArgumentException(flag + " " + file + ": a PKCS#8 key of an unsupported algorithm");
                    }
                    case "RSA PRIVATE KEY" -> {
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(rsaPkcs1ToPkcs8(der)));
                    }
                    default -> throw new IllegalArgumentException(flag + " " + file + ": '" + type + "' keys are not "
                            + "read; convert it: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pk8.pem");
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(flag + " " + file + ": unreadable key (" + e.getClass().getSimpleName() + ")");
            }
        }
        throw new IllegalArgumentException(flag + " " + file + ": no PEM private key in it");
    }

    private static void warnIfReadableByOthers(Path file, String flag) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warning(flag + " " + file + " can be read by users other than its owner; a private key should have "
                        + "mode 0600 (chmod 600 " + file + ", or defaultMode: 0400 on the Secret's volume)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // unreadable files are reported by read() with the flag's name
        }
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
