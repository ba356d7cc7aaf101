package io.weft.agent.debug;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Certificates made by openssl the way an operator makes them for weft's debug API: a CA, a server certificate for
 * the agents, client certificates for operators, and a second CA that weft does not trust. The lab's demo uses it too
 * (so it needs no test framework).
 */
public final class TestPki implements AutoCloseable {
    public final Path dir;

    public TestPki() throws Exception {
        dir = Files.createTempDirectory("weft-pki-");
        ca("ca");
        ca("rogue-ca");
        leaf("server", "ca", "weftd", "serverAuth,clientAuth", "subjectAltName=IP:127.0.0.1\n");
        leaf("client", "ca", "operator", "clientAuth", "");
        leaf("rogue", "rogue-ca", "intruder", "clientAuth", "");
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    private void ca(String name) throws Exception {
        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + name + ".key -out " + name + ".pem -days 2 -subj /CN="
                + name + " 2>/dev/null");
    }

    private void leaf(String name, String ca, String cn, String usage, String ext) throws Exception {
        sh("openssl req -newkey rsa:2048 -nodes -keyout " + name + ".key -out " + name + ".csr -subj /CN=" + cn
                + " 2>/dev/null && printf '" + ext.replace("\n", "\\n") + "extendedKeyUsage=" + usage + "\\n' > " + name
                + ".ext && openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out "
                + name + ".pem -days 2 -extfile " + name + ".ext 2>/dev/null && chmod 600 " + name + ".key");
    }

    private void sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("openssl failed (install Debian's openssl): " + script + "\n" + out);
    }

    @Override
    public void close() throws Exception {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
