package io.weft.agent.subnet;

import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.lease.SubnetPool;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Leases as files in one directory shared by every agent on a machine: {@code <dir>/subnets/10.244.1.0-24}
 * holds flannel's lease JSON, and the file's modification time plus the TTL is its expiry (renewing rewrites
 * the file). Allocation happens under an exclusive lock on {@code <dir>/lock}, so two agents starting at once
 * never take the same subnet. The cluster config is the one given, or {@code <dir>/config}.
 */
public final class LocalDirSubnetManager implements SubnetManager {
    private static final Logger LOG = Logger.getLogger(LocalDirSubnetManager.class.getName());
    public static final Duration TTL = Duration.ofHours(24);

    private final Path dir;
    private final Path subnets;
    private final NetConf given;
    private final Clock clock;
    private String lastSignature = "";

    public LocalDirSubnetManager(Path dir, NetConf given) throws IOException {
        this(dir, given, Clock.systemUTC());
    }

    public LocalDirSubnetManager(Path dir, NetConf given, Clock clock) throws IOException {
        this.dir = dir;
        this.subnets = dir.resolve("subnets");
        this.given = given;
        this.clock = clock;
        Files.createDirectories(subnets);
    }

    @Override
    public NetConf config() {
        return given != null ? given : NetConfParser.read(dir.resolve("config"));
    }

    @Override
    public Lease acquire(LeaseRecord attrs) throws IOException {
        NetConf conf = config();
        SubnetPool pool = new SubnetPool(conf);
        try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            List<Lease> all = readAll(true);
            List<Ipv4Cidr> taken = new ArrayList<>(all.stream().map(Lease::subnet).toList());
            // A lease file we cannot read still belongs to someone: never hand its subnet out again.
            taken.addAll(unreadable());
            Optional<Lease> mine = all.stream()
                    .filter(l -> l.attrs().publicIp().equals(attrs.publicIp()))
                    .findFirst();
            if (mine.isPresent() && pool.contains(mine.get().subnet())) {
                LOG.info("reusing lease " + mine.get().subnet() + " held by " + attrs.publicIp());
                return write(mine.get().subnet(), attrs);
            }
            if (mine.isPresent()) {
                LOG.warning("lease " + mine.get().subnet() + " is outside the configured pool " + conf.subnetMin()
                        + ".." + conf.subnetMax() + "; releasing it");
                Files.deleteIfExists(subnets.resolve(mine.get().subnet().toKey()));
                all.remove(mine.get());
            }
            taken.remove(mine.map(Lease::subnet).orElse(null));
            Ipv4Cidr free = pool.firstFree(taken).orElseThrow(() -> SubnetException.poolExhausted(conf, pool));
            LOG.info("acquired new lease " + free + " for " + attrs.publicIp());
            return write(free, attrs);
        }
    }

    @Override
    public Lease renew(Lease lease) throws IOException {
        return write(lease.subnet(), lease.attrs());
    }

    @Override
    public List<Lease> leases() throws IOException {
        return readAll(false);
    }

    @Override
    public void awaitChange(long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (System.nanoTime() < deadline) {
            String sig = signature();
            if (!sig.equals(lastSignature)) {
                lastSignature = sig;
                return;
            }
            Thread.sleep(Math.min(250, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    private String signature() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(subnets)) {
            List<Path> files = new ArrayList<>();
            ds.forEach(files::add);
            files.sort(Comparator.naturalOrder());
            for (Path p : files) {
                try {
                    sb.append(p.getFileName()).append('@').append(Files.getLastModifiedTime(p).toMillis())
                            .append('/').append(Files.size(p)).append(';');
                } catch (NoSuchFileException e) {
                    // removed while listing: the next round sees it gone
                }
            }
        }
        return sb.toString();
    }

    private Lease write(Ipv4Cidr subnet, LeaseRecord attrs) throws IOException {
        Path target = subnets.resolve(subnet.toKey());
        Path tmp = Files.createTempFile(subnets, ".lease", ".tmp");
        try {
            Files.writeString(tmp, attrs.toJson(), StandardCharsets.UTF_8);
            Instant now = clock.instant();
            Files.setLastModifiedTime(tmp, FileTime.from(now));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Lease(subnet, attrs, now.plus(TTL));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private List<Ipv4Cidr> unreadable() throws IOException {
        List<Ipv4Cidr> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(subnets)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) continue;
                try {
                    Ipv4Cidr.parseKey(name);
                    LeaseRecord.parse(Files.readString(p));
                } catch (IllegalArgumentException e) {
                    try {
                        out.add(Ipv4Cidr.parseKey(name));
                    } catch (IllegalArgumentException notALease) {
                        // not a lease file at all
                    }
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                }
            }
        }
        return out;
    }

    private List<Lease> readAll(boolean removeExpired) throws IOException {
        List<Lease> out = new ArrayList<>();
        Instant now = clock.instant();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(subnets)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) continue;
                Ipv4Cidr subnet;
                try {
                    subnet = Ipv4Cidr.parseKey(name);
                } catch (IllegalArgumentException e) {
                    LOG.warning("ignoring " + p + ": not a subnet lease name (" + e.getMessage() + ")");
                    continue;
                }
                try {
                    Instant expiry = Files.getLastModifiedTime(p).toInstant().plus(TTL);
                    if (expiry.isBefore(now)) {
                        if (removeExpired) {
                            LOG.info("lease " + subnet + " expired at " + expiry + "; removing it");
                            Files.deleteIfExists(p);
                        }
                        continue;
                    }
                    out.add(new Lease(subnet, LeaseRecord.parse(Files.readString(p)), expiry));
                } catch (NoSuchFileException e) {
                    // released while we listed
                } catch (IllegalArgumentException e) {
                    LOG.warning("ignoring lease " + subnet + " in " + p + ": " + e.getMessage());
                }
            }
        }
        out.sort(Comparator.comparing(Lease::subnet));
        return out;
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "lease directory " + Objects.toString(dir);
    }
}
