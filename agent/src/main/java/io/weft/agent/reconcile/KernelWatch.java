package io.weft.agent.reconcile;

import io.weft.agent.subnet.ChangeSignal;
import io.weft.core.iproute.IpMonitor;
import io.weft.core.iproute.Netns;
import io.weft.core.net.IpCidr;
import io.weft.core.net.Ipv4Cidr;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Tells the agent at once when someone removes what it programmed: its device (deleted or set down), a route or
 * address on it, or a neighbour or FDB entry on a VXLAN device, from the kernel's own notifications
 * ({@link IpMonitor}). The agent then checks the kernel in full on its next round, within milliseconds, instead of
 * reading every table every few seconds. Its own removals (a peer leaving) are reported too and cost one check.
 * When the monitor dies it is started again, and the kernel is checked, since events may have been missed.
 */
public final class KernelWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KernelWatch.class.getName());

    private final Netns ns;
    private final Supplier<Set<String>> devices;
    private final List<IpCidr> networks;
    private final ChangeSignal wake;
    private volatile boolean dirty = true;
    private volatile boolean closed;
    private volatile IpMonitor monitor;

    /**
     * @param devices the agent's own devices (the backend's), asked on every event since they may change
     * @param network the cluster Network: routes inside it on those devices are the agent's
     * @param wake    signalled when the kernel needs a check
     */
    public KernelWatch(Netns ns, Supplier<Set<String>> devices, Ipv4Cidr network, ChangeSignal wake) {
        this(ns, devices, List.of(network), wake);
    }

    /** @param networks the cluster's IPv4 and/or IPv6 Network */
    public KernelWatch(Netns ns, Supplier<Set<String>> devices, List<IpCidr> networks, ChangeSignal wake) {
        this.ns = ns;
        this.devices = devices;
        this.networks = List.copyOf(networks);
        this.wake = wake;
    }

    public KernelWatch start() {
        monitor = IpMonitor.start(ns, this::onEvent, this::onEnd);
        return this;
    }

    /** Whether the kernel needs a full check (something of ours changed, or the watch was down); clears it. */
    public boolean takeDirty() {
        boolean d = dirty;
        dirty = false;
        return d;
    }

    private void onEvent(IpMonitor.Event e) {
        if (concerns(e)) {
            dirty = true;
            wake.signal();
        }
    }

    boolean concerns(IpMonitor.Event e) {
        String dev = e.dev();
        if (dev == null || !devices.get().contains(dev)) return false;
        if (e.kind().equals("LINK")) return e.deleted() || !(("," + e.flags() + ",").contains(",UP,"));
        if (!e.deleted()) return false;
        String subject = e.subject();
        // only a VXLAN device's neighbours of its own family are ours (link-local IPv6 ones come and go with NDP)
        if (e.kind().equals("NEIGH")) {
            boolean v6 = subject.contains(":");
            return v6 ? dev.startsWith("flannel-v6.") && !subject.startsWith("fe80:") : dev.startsWith("flannel.");
        }
        if (e.kind().equals("ROUTE")) {
            try {
                IpCidr c = IpCidr.parseLenient(subject.contains("/") ? subject : subject + (subject.contains(":") ? "/128" : "/32"));
                for (IpCidr n : networks) {
                    if (n.bits() == c.bits() && (n.contains(c.network()) || c.contains(n.network()))) return true;
                }
                return false;
            } catch (IllegalArgumentException notAnAddress) {
                return false;
            }
        }
        return false;
    }

    private void onEnd() {
        if (closed) return;
        dirty = true;
        wake.signal();
        LOG.warning("the kernel monitor (ip monitor) ended; starting it again");
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(1000);
                if (!closed) start();
            } catch (InterruptedException | RuntimeException e) {
                LOG.warning("cannot start the kernel monitor again: " + e.getMessage() + "; the periodic check stays");
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        IpMonitor m = monitor;
        if (m != null) m.close();
    }
}
