package io.weft.lab.traffic;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Test traffic run inside pod/node namespaces as a child JVM ({@code ip netns exec}): TCP with a SHA-256
 * of everything sent and received, UDP with a CRC per datagram, and raw datagram injection for drop tests.
 */
public final class TrafficTool {
    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "tcp-sink" -> tcpSink(Integer.parseInt(a[1]), Long.parseLong(a[2]));
            case "tcp-source" -> tcpSource(a[1], Integer.parseInt(a[2]), Long.parseLong(a[3]));
            case "udp-sink" -> udpSink(Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]));
            case "udp-source" -> udpSource(a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
            case "inject" -> inject(a);
            case "capture" -> {
                int rc = new picocli.CommandLine(new io.weft.agent.capture.CaptureCommand())
                        .execute(java.util.Arrays.copyOfRange(a, 1, a.length));
                System.out.println("CAPTURE " + rc);
            }
            case "http-get" -> {
                var r = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(a[1])).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                System.out.print(r.body());
                System.out.println("HTTP " + r.statusCode());
            }
            default -> throw new IllegalArgumentException(a[0]);
        }
    }

    static void tcpSink(int port, long bytes) throws Exception {
        try (ServerSocket ss = new ServerSocket(port)) {
            System.out.println("LISTENING");
            System.out.flush();
            try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                long got = 0;
                int n;
                while (got < bytes && (n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    got += n;
                }
                System.out.println("RECEIVED " + got + " " + HexFormat.of().formatHex(md.digest()));
            }
        }
    }

    static void tcpSource(String host, int port, long bytes) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(port);
        byte[] buf = new byte[1 << 16];
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            OutputStream out = s.getOutputStream();
            long sent = 0;
            while (sent < bytes) {
                r.nextBytes(buf);
                int n = (int) Math.min(buf.length, bytes - sent);
                out.write(buf, 0, n);
                md.update(buf, 0, n);
                sent += n;
            }
            out.flush();
            s.shutdownOutput();
            s.getInputStream().read();
            System.out.println("SENT " + sent + " " + HexFormat.of().formatHex(md.digest()));
        }
    }

    static void udpSink(int port, int count, int timeoutMs) throws Exception {
        try (DatagramSocket s = new DatagramSocket(port)) {
            s.setReceiveBufferSize(4 << 20);
            s.setSoTimeout(timeoutMs);
            System.out.println("LISTENING");
            System.out.flush();
            byte[] buf = new byte[65536];
            int good = 0;
            int bad = 0;
            while (good + bad < count) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                }
                DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(buf, 0, p.getLength()));
                long crc = d.readLong();
                CRC32 c = new CRC32();
                c.update(buf, 8, p.getLength() - 8);
                if (c.getValue() == crc) good++;
                else bad++;
            }
            System.out.println("UDP " + good + " " + bad);
        }
    }

    static void udpSource(String host, int port, int count, int size) throws Exception {
        SplittableRandom r = new SplittableRandom(size);
        try (DatagramSocket s = new DatagramSocket()) {
            InetAddress dst = InetAddress.getByName(host);
            byte[] buf = new byte[size];
            for (int i = 0; i < count; i++) {
                r.nextBytes(buf);
                CRC32 c = new CRC32();
                c.update(buf, 8, size - 8);
                long v = c.getValue();
                for (int k = 0; k < 8; k++) buf[k] = (byte) (v >>> (56 - 8 * k));
                s.send(new DatagramPacket(buf, size, dst, port));
                if (i % 20 == 19) Thread.sleep(1);
            }
        }
        System.out.println("SENT");
    }

    /** inject DST PORT HEX...: each hex string is sent as one UDP payload from an ephemeral port. */
    static void inject(String[] a) throws Exception {
        InetAddress dst = InetAddress.getByName(a[1]);
        int port = Integer.parseInt(a[2]);
        try (DatagramSocket s = new DatagramSocket()) {
            for (int i = 3; i < a.length; i++) {
                byte[] b = HexFormat.of().parseHex(a[i]);
                s.send(new DatagramPacket(b, b.length, dst, port));
            }
        }
        System.out.println("INJECTED " + (a.length - 3));
    }
}
