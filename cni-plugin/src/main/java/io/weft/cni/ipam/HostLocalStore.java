package io.weft.cni.ipam;

import io.weft.core.net.IpAddress;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Comparator;

/**
 * The reference host-local plugin's on-disk store, file for file, so weft and host-local can take over from
 * each other on a node without losing a single allocation:
 * <ul>
 *   <li>{@code <dir>/<ip>}: one file per allocated address holding {@code <containerId>\r\n<ifname>}
 *       (files of old host-local versions hold only the container id, and are honoured);</li>
 *   <li>{@code <dir>/last_reserved_ip.<range>}: the address handed out last, where the next search starts;</li>
 *   <li>{@code <dir>/lock}: flock(2)'d around every change.</li>
 * </ul>
 * Every method but {@link #lock()} expects the caller to hold the lock.
 */
public final class HostLocalStore {
    public static final String LINE_BREAK = "\r\n";
    private static final String LAST_RESERVED = "last_reserved_ip.";
    /** The name an allocation's content is written under before it is linked to the address's name. */
    static final String RESERVING = ".reserving-";

    /** One allocation file: the address and whom it belongs to (ifname null for the old one-line format). */
    public record Allocation(IpAddress ip, String containerId, String ifname) {
        public boolean belongsTo(String id, String ifn) {
            return containerId.equals(id.strip()) && (ifname == null || ifname.equals(ifn));
        }
    }

    private final Path dir;

    public HostLocalStore(Path dir) {
        this.dir = dir;
    }

    /** {@code <dataDir>/networks/<network name>}, where host-local with dataDir {@code <dataDir>/networks} looks. */
    public static HostLocalStore forNetwork(String dataDir, String network) {
        return new HostLocalStore(Path.of(dataDir, "networks", network));
    }

    public Path dir() {
        return dir;
    }

    public Flock lock() throws IOException {
        Files.createDirectories(dir);
        return Flock.exclusive(lockFile());
    }

    /** The file host-local flocks and {@link #lock()} takes. */
    public Path lockFile() {
        return dir.resolve("lock");
    }

    /**
     * Claims {@code ip}; false when its file already exists (someone else holds the address). The content is
     * written to {@code .reserving-<ip>} first and then hard-linked (link(2)) to the address's name, which fails if
     * that name exists, as host-local's O_EXCL create does: the allocation file appears whole or not at all, so a
     * plugin killed mid-reservation leaves no empty file that would hold the address for nobody, only a
     * {@code .reserving-} file that no reader takes for an allocation and the next allocation removes.
     */
    public boolean reserve(IpAddress ip, String containerId, String ifname, int rangeId) throws IOException {
        String name = ip.toString();
        Path tmp = dir.resolve(RESERVING + name);
        Files.write(tmp, (containerId.strip() + LINE_BREAK + ifname).getBytes(StandardCharsets.UTF_8));
        try {
            Files.createLink(dir.resolve(name), tmp);
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
        // Written in place, as host-local writes it: one cut short only makes the next search start at the range's
        // beginning (host-local's and weft's reading of an empty or unreadable one).
        Files.writeString(dir.resolve(LAST_RESERVED + rangeId), name);
        return true;
    }

    /** The range's last handed-out address; null if none (or a damaged entry: start from the range's beginning). */
    public IpAddress lastReserved(int rangeId) throws IOException {
        try {
            String s = Files.readString(dir.resolve(LAST_RESERVED + rangeId)).strip();
            return s.isEmpty() ? null : IpAddress.parse(s);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Every allocation file in the directory, IPv4 before IPv6, each in address order. What a plugin killed while
     * reserving left behind is removed on the way (the caller holds the lock, so nobody is reserving now): a
     * {@code .reserving-} file, and an empty allocation file (host-local, and weft before it wrote through a link,
     * create the file before writing it), whose address is free again.
     */
    public List<Allocation> all() throws IOException {
        List<Allocation> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return List.of();
        byte[] buf = new byte[512];
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                IpAddress ip = addressNamed(name);
                if (ip == null) {
                    if (name.startsWith(RESERVING)) Files.deleteIfExists(p);
                    continue;
                }
                String text = read(p, buf);
                if (text == null) continue; // freed meanwhile
                text = text.strip();
                if (text.isEmpty()) {
                    System.err.println("weft: freeing " + name + " in " + dir + ": its allocation file is empty (a plugin killed while reserving it)");
                    Files.deleteIfExists(p);
                    continue;
                }
                int br = text.indexOf(LINE_BREAK);
                out.add(br < 0 ? new Allocation(ip, text, null)
                        : new Allocation(ip, text.substring(0, br).strip(), text.substring(br + LINE_BREAK.length()).strip()));
            }
        }
        out.sort(BY_ADDRESS);
        return out;
    }

    private static final Comparator<Allocation> BY_ADDRESS = new Comparator<>() {
        @Override
        public int compare(Allocation a, Allocation b) {
            if (a.ip() instanceof Ipv4Address x && b.ip() instanceof Ipv4Address y) return x.compareTo(y);
            if (a.ip() instanceof Ipv6Address x && b.ip() instanceof Ipv6Address y) return x.compareTo(y);
            return Integer.compare(a.ip().bits(), b.ip().bits());
        }
    };

    /**
     * The address an allocation file's name spells, or null for anything else (last_reserved_ip.0, lock). An
     * IPv6 name counts only in the canonical spelling host-local writes: another spelling is not a file
     * host-local would ever look for.
     */
    static IpAddress addressNamed(String name) {
        if (name.indexOf(':') < 0) {
            long v = dottedQuad(name);
            return v < 0 ? null : new Ipv4Address((int) v);
        }
        try {
            Ipv6Address a = Ipv6Address.parse(name);
            return a.toString().equals(name) ? a : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The IPv4 address a file name spells, as Ipv4Address.parse reads it (four decimal octets, ASCII digits, no
     * leading zeros), or -1 for anything else. A per-file
     * shortcut: an ADD reads every allocation file, and the general parser's split and stream cost ~50 us per
     * name in a JVM that interprets.
     */
    static long dottedQuad(String s) {
        int n = s.length();
        if (n < 7 || n > 15) return -1;
        long v = 0;
        int octets = 0;
        int i = 0;
        while (true) {
            int start = i;
            int octet = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                octet = octet * 10 + (s.charAt(i) - '0');
                i++;
            }
            int len = i - start;
            if (len == 0 || len > 3 || (len > 1 && s.charAt(start) == '0') || octet > 255) return -1;
            v = (v << 8) | octet;
            if (++octets == 4) return i == n ? v : -1;
            if (i >= n || s.charAt(i) != '.') return -1;
            i++;
        }
    }

    /** A small file's text (allocation files hold an id and an interface name), UTF-8; null if it is gone. */
    private static String read(Path p, byte[] buf) throws IOException {
        java.io.File f = p.toFile();
        java.io.FileInputStream fin;
        try {
            fin = new java.io.FileInputStream(f);
        } catch (java.io.FileNotFoundException e) {
            if (!f.exists()) return null;
            throw e;
        }
        try (java.io.InputStream in = fin) {
            int len = 0;
            int r;
            while ((r = in.read(buf, len, buf.length - len)) > 0) {
                len += r;
                if (len == buf.length) buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            }
            return new String(buf, 0, len, StandardCharsets.UTF_8);
        }
    }

    /** The addresses held by one attachment (exact id+ifname match first, then old id-only files, as host-local does). */
    public List<Allocation> byId(String containerId, String ifname) throws IOException {
        return byId(all(), containerId, ifname);
    }

    static List<Allocation> byId(List<Allocation> all, String containerId, String ifname) {
        List<Allocation> exact = new ArrayList<>();
        List<Allocation> old = new ArrayList<>();
        for (Allocation a : all) {
            if (!a.containerId().equals(containerId.strip())) continue;
            if (a.ifname() == null) old.add(a);
            else if (a.ifname().equals(ifname)) exact.add(a);
        }
        return exact.isEmpty() ? old : exact;
    }

    /** Frees what one attachment holds; returns what was freed (nothing is not an error: DEL is idempotent). */
    public List<Allocation> releaseById(String containerId, String ifname) throws IOException {
        List<Allocation> mine = byId(containerId, ifname);
        for (Allocation a : mine) Files.deleteIfExists(dir.resolve(a.ip().toString()));
        return mine;
    }

    public void release(IpAddress ip) throws IOException {
        Files.deleteIfExists(dir.resolve(ip.toString()));
    }
}
