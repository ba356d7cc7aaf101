package io.weft.agent.subnet;

import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.lease.LeaseRecord;
import io.weft.core.lease.Ipv6SubnetPool;
import io.weft.core.lease.SubnetPool;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import io.weft.core.net.Ipv6Cidr;
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
 * holds flannel's lease JSON (a dual-stack lease is named as flannel keys it in etcd, MakeSubnetKey:
 * {@code 10.244.1.0-24&fd00:10:244:1::-64}), and the file's modification time plus the TTL is its expiry (renewing rewrites
 * the file). Allocation happens under an exclusive lock on {@code <dir>/lock}, so two agents starting at once
 * never take the same subnet. The cluster config is the one given, or {@code <dir>/config}.
 *
 * <p>After the first listing only the files inotify names as changed are read again ({@link DirWatch}), into a
 * {@link LeaseBook}; a restarted node finds its lease by its PublicIP, or by the subnet its subnet.env names when its
 * own file is unreadable. A directory that refuses writes (read-only, full) keeps a valid lease in use as it is.
 */
public final class LocalDirSubnetManager extends WatchedSubnetManager {
    private static final Logger LOG = Logger.getLogger(LocalDirSubnetManager.class.getName());
    public static final Duration TTL = Duration.ofHours(24);

    private final Path dir;
    private final Path subnets;
    private final NetConf given;
    private final Ipv4Cidr previous;
    private final Ipv6Cidr previousV6;
    private final Clock clock;
    private final java.util.Set<String> ignoredNames = new java.util.HashSet<>();
    private DirWatch watch; // guarded by this

    public LocalDirSubnetManager(Path dir, NetConf given) throws IOException {
        this(dir, given, null, Clock.systemUTC());
    }

    /** @param previous the subnet this node's subnet.env names, taken again when its own lease file is unreadable */
    public LocalDirSubnetManager(Path dir, NetConf given, Ipv4Cidr previous) throws IOException {
        this(dir, given, previous, Clock.systemUTC());
    }

    /** @param previousV6 the IPv6 subnet subnet.env names (FLANNEL_IPV6_SUBNET), taken again with {@code previous} */
    public LocalDirSubnetManager(Path dir, NetConf given, Ipv4Cidr previous, Ipv6Cidr previousV6) throws IOException {
        this(dir, given, previous, previousV6, Clock.systemUTC());
    }

    public LocalDirSubnetManager(Path dir, NetConf given, Ipv4Cidr previous, Clock clock) throws IOException {
        this(dir, given, previous, null, clock);
    }

    LocalDirSubnetManager(Path dir, NetConf given, Ipv4Cidr previous, Ipv6Cidr previousV6, Clock clock) throws IOException {
        super("lease directory " + dir, clock);
        this.dir = dir;
        this.subnets = dir.resolve("subnets");
        this.given = given;
        this.previous = previous;
        this.previousV6 = previousV6;
        this.clock = clock;
        try {
            Files.createDirectories(subnets);
        } catch (IOException e) {
            throw new SubnetException("cannot use lease directory " + dir + ": " + reason(e) + "; create " + subnets
                    + " and make it writable for weftd");
        }
    }

    @Override
    public NetConf config() {
        return given != null ? given : NetConfParser.read(dir.resolve("config"));
    }

    @Override
    public Lease acquire(LeaseRecord attrs) throws IOException {
        NetConf conf = config();
        try (FileChannel ch = lockFile(); FileLock ignored = ch == null ? null : ch.lock()) {
            List<Read> all = readAll();
            for (Read r : List.copyOf(all)) {
                if (!r.expired) continue;
                LOG.info("lease " + r.name() + " expired; removing it");
                Files.deleteIfExists(subnets.resolve(r.name()));
                all.remove(r);
            }
            Optional<Read> mine = all.stream().filter(r -> r.lease != null && r.lease.attrs().holder().equals(attrs.holder()))
                    .findFirst();
            IpCidr prev = conf.enableIPv4() ? previous : previousV6; // an IPv6-only subnet.env names only the IPv6 one
            if (mine.isEmpty() && prev != null) {
                // this node's own file is unreadable, or gone: subnet.env still names the subnet it had
                mine = all.stream().filter(r -> r.primary().equals(prev) && r.lease == null).findFirst();
                if (mine.isEmpty() && all.stream().noneMatch(r -> r.primary().equals(prev)) && inPool(conf, prev)) {
                    boolean v6Free = previousV6 != null && all.stream().noneMatch(r -> previousV6.equals(r.ipv6Subnet));
                    mine = Optional.of(new Read(previous, v6Free ? previousV6 : null, null, "gone", false));
                }
                mine.ifPresent(r -> LOG.info("taking " + prev + " again, as subnet.env names it (its lease "
                        + (r.problem.equals("gone") ? "file is gone" : "is unreadable: " + r.problem) + ")"));
            }
            if (mine.isPresent() && inPool(conf, mine.get().primary())) {
                Ipv6Cidr v6 = ipv6For(conf, mine.get(), all);
                own.held(keepOrWrite(mine.get(), v6, attrs), false);
                startWatch();
                return own.lease();
            }
            if (mine.isPresent()) {
                LOG.warning("lease " + mine.get().name() + " is outside the configured pool " + (conf.enableIPv4()
                        ? conf.subnetMin() + ".." + conf.subnetMax() : conf.ipv6SubnetMin() + ".." + conf.ipv6SubnetMax())
                        + "; releasing it");
                Files.deleteIfExists(subnets.resolve(mine.get().name()));
                all.remove(mine.get());
            }
            // a lease file we cannot read still belongs to someone: its subnet is never handed out again
            Ipv4Cidr free = conf.enableIPv4() ? freeIpv4(conf, all) : null;
            Ipv6Cidr free6 = conf.enableIPv6() ? freeIpv6(conf, all) : null;
            own.held(write(free, free6, attrs), true);
            LOG.info("acquired new lease " + Lease.key(free, free6) + " for " + attrs.holder());
            startWatch();
            return own.lease();
        }
    }

    /** Whether {@code subnet} (IPv4, or IPv6 on an IPv6-only cluster) lies in the configured pool of its family. */
    private static boolean inPool(NetConf conf, IpCidr subnet) {
        if (subnet instanceof Ipv4Cidr v4) return conf.enableIPv4() && new SubnetPool(conf).contains(v4);
        return conf.enableIPv6() && new Ipv6SubnetPool(conf).contains((Ipv6Cidr) subnet);
    }

    private static Ipv4Cidr freeIpv4(NetConf conf, List<Read> all) {
        SubnetPool pool = new SubnetPool(conf);
        List<Ipv4Cidr> taken = all.stream().map(Read::subnet).filter(Objects::nonNull).toList();
        return pool.firstFree(taken).orElseThrow(() -> SubnetException.poolExhausted(conf, pool));
    }

    /**
     * This node's lease, written with {@code attrs}; when the directory refuses the write, the lease as it is, if it
     * is readable and unexpired: the node keeps forwarding and renews when the directory lets it.
     */
    private Lease keepOrWrite(Read mine, Ipv6Cidr v6, LeaseRecord attrs) throws IOException {
        try {
            Lease l = write(mine.subnet, v6, attrs);
            if (!l.key().equals(mine.name())) Files.deleteIfExists(subnets.resolve(mine.name())); // IPv6 turned on or off
            LOG.info("reusing lease " + l.key() + " held by " + attrs.holder());
            return l;
        } catch (SubnetException e) {
            if (mine.lease == null || !mine.lease.expiration().isAfter(clock.instant())) throw e;
            LOG.warning(e.getMessage() + "; keeping lease " + mine.name() + " as it is until " + mine.lease.expiration()
                    + " and renewing when the directory lets it");
            return new Lease(mine.subnet, attrs, mine.lease.expiration(), mine.ipv6Subnet);
        }
    }

    /**
     * The IPv6 subnet this node keeps with its IPv4 one: the one its lease names while it is in the IPv6 pool, a free
     * one when IPv6 has just been turned on (the IPv4 subnet, and so the pods' IPv4 addresses, stay), none without
     * IPv6.
     */
    private static Ipv6Cidr ipv6For(NetConf conf, Read mine, List<Read> all) {
        if (!conf.enableIPv6()) return null;
        if (mine.ipv6Subnet != null && new Ipv6SubnetPool(conf).contains(mine.ipv6Subnet)) return mine.ipv6Subnet;
        List<Read> others = all.stream().filter(r -> r != mine).toList();
        return freeIpv6(conf, others);
    }

    private static Ipv6Cidr freeIpv6(NetConf conf, List<Read> all) {
        Ipv6SubnetPool pool6 = new Ipv6SubnetPool(conf);
        List<Ipv6Cidr> taken6 = all.stream().map(Read::ipv6Subnet).filter(Objects::nonNull).toList();
        return pool6.firstFree(taken6).orElseThrow(() -> SubnetException.ipv6PoolExhausted(conf, pool6));
    }

    /** The allocation lock; null when the directory cannot hold one (read-only): reading needs no lock. */
    private FileChannel lockFile() throws IOException {
        try {
            return FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (java.nio.file.FileSystemException e) {
            LOG.fine("no allocation lock in " + dir + ": " + reason(e));
            return null;
        }
    }

    @Override
    public Lease renew(Lease lease) {
        Lease l = write(lease.subnet(), lease.ipv6Subnet(), lease.attrs());
        own.held(l, false);
        return l;
    }

    @Override
    public void release(Lease lease) {
        try {
            Path p = subnets.resolve(lease.key());
            if (Files.exists(p) && LeaseRecord.parse(Files.readString(p)).equals(lease.attrs())) Files.delete(p);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warning("could not release lease " + lease.key() + " in " + this + ": " + e.getMessage());
        }
    }

    /** Reads the files inotify named since the last round (all of them after an overflow). */
    @Override
    protected void catchUp() throws IOException {
        DirWatch w = startWatch();
        if (w.takeRescan()) {
            List<Read> all = readAll();
            for (Read r : all) record(r);
            book.retainOnly(all.stream().map(Read::primary).toList());
        } else {
            for (String name : w.takeChanged()) {
                if (name.startsWith(".")) continue; // a lease being written
                SubnetKey key = subnetOf(subnets.resolve(name));
                if (key == null) continue;
                Read r = read(subnets.resolve(name), key);
                if (r == null) {
                    // renamed (IPv6 turned on or off): the subnet is gone only if no file holds it any more
                    if (!anyFileHolds(key.primary())) book.remove(key.primary());
                } else {
                    record(r);
                }
            }
        }
    }

    @Override
    protected Lease rewrite(Lease mine, boolean gone) {
        return write(mine.subnet(), mine.ipv6Subnet(), mine.attrs());
    }

    private void record(Read r) {
        if (r.expired) book.remove(r.primary());
        else if (r.lease != null) book.put(r.lease);
        else book.unreadable(r.primary(), r.problem);
    }

    @Override
    public void awaitChange(long timeoutMillis) throws IOException, InterruptedException {
        startWatch();
        changed.await(timeoutMillis);
    }

    private synchronized DirWatch startWatch() throws IOException {
        if (watch == null) watch = DirWatch.start(subnets, changed, name -> !name.startsWith(".")); // not a lease being written
        return watch;
    }

    private Lease write(Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet, LeaseRecord attrs) {
        Path target = subnets.resolve(Lease.key(subnet, ipv6Subnet));
        Path tmp = null;
        try {
            tmp = Files.createTempFile(subnets, ".lease", ".tmp");
            Files.writeString(tmp, attrs.toJson(), StandardCharsets.UTF_8);
            Instant now = clock.instant();
            Files.setLastModifiedTime(tmp, FileTime.from(now));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Lease(subnet, attrs, now.plus(TTL), ipv6Subnet);
        } catch (IOException e) {
            // the temporary file's name helps no one: name the directory, the cause and the remedy
            throw new SubnetException("cannot write lease " + Lease.key(subnet, ipv6Subnet) + " in " + this + ": " + reason(e)
                    + "; make the directory writable for weftd (and give its file system free space)", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // nothing was written, or the directory refuses even that
                }
            }
        }
    }

    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return Objects.toString(e.getMessage(), e.getClass().getSimpleName());
    }

    /**
     * One lease file as read: its subnets (from its name), its lease, or the problem reading it (lease null);
     * {@code expired} by its time.
     */
    private record Read(Ipv4Cidr subnet, Ipv6Cidr ipv6Subnet, Lease lease, String problem, boolean expired) {
        String name() {
            return Lease.key(subnet, ipv6Subnet);
        }

        IpCidr primary() {
            return SubnetKey.primary(subnet, ipv6Subnet);
        }
    }

    private List<Read> readAll() throws IOException {
        List<Read> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(subnets)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(".")) continue;
                SubnetKey key = subnetOf(p);
                if (key == null) continue;
                Read r = read(p, key);
                if (r != null) out.add(r);
            }
        }
        out.sort(Comparator.comparing(Read::primary, Lease.ORDER));
        return out;
    }

    private boolean anyFileHolds(IpCidr subnet) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(subnets, "[!.]*")) {
            for (Path p : ds) {
                SubnetKey key = subnetOf(p);
                if (key != null && subnet.equals(key.primary())) return true;
            }
        }
        return false;
    }

    /** The subnets a lease file's name holds; null for a name that is no lease's. */
    private SubnetKey subnetOf(Path p) {
        String name = p.getFileName().toString();
        try {
            return SubnetKey.parse(name);
        } catch (IllegalArgumentException e) {
            if (ignoredNames.add(p.getFileName().toString())) {
                LOG.warning("ignoring " + p + ": not a subnet lease name (" + e.getMessage() + ")");
            }
            return null;
        }
    }

    /** The file's lease or problem; null when it is gone. */
    private Read read(Path p, SubnetKey key) {
        Ipv4Cidr subnet = key.subnet();
        Ipv6Cidr v6 = key.ipv6Subnet();
        try {
            Instant expiry = Files.getLastModifiedTime(p).toInstant().plus(TTL);
            boolean expired = expiry.isBefore(clock.instant());
            try {
                return new Read(subnet, v6, new Lease(subnet, LeaseRecord.parse(Files.readString(p)), expiry, v6), null, expired);
            } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
                String problem = Files.size(p) == 0 ? "the file is empty" : e.getMessage();
                return new Read(subnet, v6, null, problem, expired);
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return new Read(subnet, v6, null, "cannot read it: " + reason(e), false);
        }
    }

    @Override
    public synchronized void close() {
        if (watch != null) watch.close();
        watch = null;
    }

    @Override
    public String toString() {
        return "lease directory " + Objects.toString(dir);
    }
}
