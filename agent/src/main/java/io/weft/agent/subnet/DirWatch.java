package io.weft.agent.subnet;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The names of the files that changed in one directory, from inotify (Java's WatchService), so that a reader reads
 * those again and not the whole directory. When the kernel's or the JDK's event queue overflows, or the directory
 * itself is replaced, the reader is told to list everything again. Every change signals {@code changed}.
 */
public final class DirWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DirWatch.class.getName());
    /**
     * The JDK drops a watch key's events and reports an overflow once 512 are waiting to be taken, however fast they
     * are taken: thousands of lease files arriving at once (a cluster's nodes joining, a directory restored) then
     * cost a listing and a read of every file, once per overflow, instead of one read per file (5000 files renamed
     * in: 2963 events and an overflow). The kernel's own inotify queue holds 16384 events by default
     * (fs.inotify.max_queued_events); the JDK's limit is raised to that, unless the JVM is given one.
     */
    static final String EVENTS_PER_POLL = "jdk.nio.file.WatchService.maxEventsPerPoll";

    static {
        if (System.getProperty(EVENTS_PER_POLL) == null) System.setProperty(EVENTS_PER_POLL, "16384");
    }

    private final Path dir;
    private final ChangeSignal changed;
    private final java.util.function.Predicate<String> relevant;
    private final WatchService service;
    private final Set<String> names = new LinkedHashSet<>(); // guarded by this
    private boolean rescan = true; // guarded by this; the first reader lists everything
    private volatile boolean closed;

    private DirWatch(Path dir, ChangeSignal changed, java.util.function.Predicate<String> relevant, WatchService service) {
        this.dir = dir;
        this.changed = changed;
        this.relevant = relevant;
        this.service = service;
    }

    /** Watches {@code dir}; changes to names {@code relevant} rejects (a file being written) signal nothing. */
    public static DirWatch start(Path dir, ChangeSignal changed, java.util.function.Predicate<String> relevant)
            throws IOException {
        DirWatch w = new DirWatch(dir, changed, relevant, FileSystems.getDefault().newWatchService());
        w.register();
        Thread.ofPlatform().daemon().name("weft-dir-watch").start(w::run);
        return w;
    }

    private void register() throws IOException {
        dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
    }

    private void run() {
        while (!closed) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            boolean any = false;
            synchronized (this) {
                for (WatchEvent<?> ev : key.pollEvents()) {
                    if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                        rescan = true;
                        any = true;
                        continue;
                    }
                    String name = ((Path) ev.context()).getFileName().toString();
                    if (!relevant.test(name)) continue;
                    names.add(name);
                    any = true;
                }
            }
            if (!key.reset()) {
                reRegister();
                any = true;
            }
            if (any) changed.signal();
        }
    }

    /** The directory went (and may come back): watch it again once it is there, listing everything. */
    private void reRegister() {
        synchronized (this) {
            rescan = true;
        }
        while (!closed) {
            try {
                register();
                return;
            } catch (IOException e) {
                LOG.fine("cannot watch " + dir + " again yet: " + e.getMessage());
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Whether everything must be listed again (first time, or events were lost); clears the changed names then. */
    public synchronized boolean takeRescan() {
        boolean r = rescan;
        rescan = false;
        if (r) names.clear();
        return r;
    }

    /** The names that changed since the last call. */
    public synchronized List<String> takeChanged() {
        List<String> out = List.copyOf(names);
        names.clear();
        return out;
    }

    @Override
    public void close() {
        closed = true;
        try {
            service.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
