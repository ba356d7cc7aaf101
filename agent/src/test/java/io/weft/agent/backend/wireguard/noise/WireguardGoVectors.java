package io.weft.agent.backend.wireguard.noise;

import io.weft.agent.backend.wireguard.crypto.X25519;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Makes the wireguard-go vectors of {@link WireguardGoVectorTest}: run as root inside a fresh network namespace
 * ({@code ip netns add v; ip netns exec v java -cp <test and main classes> ...WireguardGoVectors}), it starts Debian's
 * wireguard-go with a fixed key and us (fixed key, 127.0.0.1:40000) as its only peer, makes it initiate with a ping,
 * answers its initiation with a fixed ephemeral key, and prints the keys and the three messages wireguard-go and we
 * exchanged (initiation, response, wireguard-go's first transport message carrying the ping).
 */
public final class WireguardGoVectors {
    static final byte[] GO_PRIVATE = X25519Fixed.key(0x11);
    static final byte[] OUR_PRIVATE = X25519Fixed.key(0x22);
    static final byte[] OUR_EPHEMERAL = X25519Fixed.key(0x33);
    static final int OUR_INDEX = 0x0a0b0c0d;

    public static void main(String[] args) throws Exception {
        NoiseTools t = new NoiseTools();
        LocalIdentity us = new LocalIdentity(OUR_PRIVATE);
        byte[] goPublic = new X25519().publicKey(GO_PRIVATE);
        Path dir = Files.createTempDirectory("wgvec");
        Files.writeString(dir.resolve("k"), Base64.getEncoder().encodeToString(GO_PRIVATE));
        sh("ip", "link", "set", "lo", "up");
        sh("wireguard-go", "wgvec0");
        sh("wg", "set", "wgvec0", "private-key", dir.resolve("k").toString(), "listen-port", "51820", "peer",
                Base64.getEncoder().encodeToString(us.publicKey), "endpoint", "127.0.0.1:40000", "allowed-ips", "10.99.0.2/32");
        sh("ip", "addr", "add", "10.99.0.1/24", "dev", "wgvec0");
        sh("ip", "link", "set", "wgvec0", "up");
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 40000))) {
            s.setSoTimeout(10_000);
            new ProcessBuilder("ping", "-c", "1", "-W", "5", "10.99.0.2").start();
            byte[] init = receive(s);
            Handshake hs = new Handshake(t, us, goPublic, null);
            Handshake.Consumed c = Handshake.consumeInitiation(t, us, init, k -> hs, System.nanoTime());
            if (c.outcome() != Handshake.Outcome.OK) throw new IllegalStateException("initiation: " + c.outcome());
            byte[] resp = hs.createResponse(t, OUR_INDEX, OUR_EPHEMERAL.clone());
            new CookieGenerator(t, goPublic).addMacs(t, resp);
            s.send(new DatagramPacket(resp, resp.length, new InetSocketAddress("127.0.0.1", 51820)));
            byte[] data = receive(s);
            HexFormat h = HexFormat.of();
            System.out.println("initiation " + h.formatHex(init));
            System.out.println("response   " + h.formatHex(resp));
            System.out.println("transport  " + h.formatHex(data));
        } finally {
            sh("ip", "link", "del", "wgvec0");
        }
    }

    private static byte[] receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        s.receive(p);
        return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd));
    }

    /** Fixed, clamped private keys for the vectors. */
    static final class X25519Fixed {
        static byte[] key(int fill) {
            byte[] k = new byte[32];
            java.util.Arrays.fill(k, (byte) fill);
            X25519.clamp(k);
            return k;
        }
    }
}
