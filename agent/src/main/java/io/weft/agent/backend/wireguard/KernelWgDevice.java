package io.weft.agent.backend.wireguard;

import io.weft.agent.backend.BackendException;
import io.weft.agent.metrics.MetricsWriter;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.WgTool;
import io.weft.core.net.IpCidr;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * {@code "Datapath": "kernel"}: the kernel's WireGuard device, or, where the kernel has no wireguard module and
 * wireguard-go is installed, wireguard-go's (as wg-quick falls back), both configured through {@code wg} exactly as
 * flannel configures its device (pkg/backend/wireguard/device.go: private key, listen port, and per peer its
 * public key, PSK, endpoint, allowed IPs = its subnet, persistent keepalive). Either device outlives weftd, so a
 * restart adopts it and traffic never stops; the peers are then compared with the leases and only differences
 * applied.
 */
final class KernelWgDevice implements WgDevice {
    private static final Logger LOG = Logger.getLogger(KernelWgDevice.class.getName());

    private final Netns ns;
    private final String dev;
    private final int listenPort;
    private Path keyFile;
    private final WgTool wg;
    private String runsOn = "kernel";
    private volatile Map<String, String> labels = Map.of(); // public key -> peer label (its PublicIP)

    KernelWgDevice(Netns ns, String dev, int listenPort) {
        this.ns = ns;
        this.dev = dev;
        this.listenPort = listenPort;
        this.wg = new WgTool(ns);
    }

    @Override
    public void open() {
        if (!WgTool.installed()) {
            throw new BackendException("the wireguard backend's kernel datapath needs wg (wireguard-tools): install it"
                    + " (Debian: apt-get install wireguard-tools), or set Backend.Datapath to \"userspace\" for weft's own WireGuard");
        }
        Optional<LinkInfo> link = new IpReader(ns).link(dev);
        if (link.isPresent() && wg.show(dev).isPresent()) {
            runsOn = "wireguard".equals(link.get().kind()) ? "kernel" : "wireguard-go";
            LOG.info("adopting the " + runsOn + " WireGuard device " + dev);
        } else {
            if (link.isPresent()) {
                // as flannel's ensureLink: a device of that name that is not a working WireGuard device is recreated
                LOG.warning(dev + " exists but is not a working WireGuard device (" + link.get().kind() + "); recreating it");
                IpBatch.run(ns, Link.delete(dev));
            }
            create();
        }
    }

    @Override
    public void configure(byte[] privateKey, Path keyFile) {
        this.keyFile = keyFile;
        wg.setDevice(dev, keyFile, listenPort);
    }

    private void create() {
        try {
            IpBatch.run(ns, Link.addWireguard(dev));
            runsOn = "kernel";
        } catch (IpException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.contains("Unknown device type") && !why.contains("not supported")) throw e;
            if (!WgTool.userspaceInstalled()) {
                throw new BackendException("WireGuard is not available: the kernel has no wireguard module and wireguard-go"
                        + " is not installed; install wireguard-go (Debian: apt-get install wireguard-go), or set"
                        + " Backend.Datapath to \"userspace\" for weft's own WireGuard");
            }
            Path log = Path.of("/run/flannel").resolve("wireguard-go-" + dev + ".log");
            try {
                java.nio.file.Files.createDirectories(log.getParent());
            } catch (java.io.IOException io) {
                log = Path.of("/dev/null");
            }
            LOG.info("the kernel has no wireguard module: running " + dev + " with wireguard-go (log " + log + ")");
            wg.startUserspace(dev, log);
            runsOn = "wireguard-go";
        }
    }

    @Override
    public boolean healthy() {
        return new IpReader(ns).link(dev).isPresent() && wg.show(dev).isPresent();
    }

    @Override
    public boolean setPeers(List<WgTool.PeerSpec> peers) {
        WgTool.Device have = wg.show(dev).orElseThrow(() -> new BackendException(dev + " does not answer wg: is it gone?"));
        Map<String, WgTool.PeerState> current = new HashMap<>();
        for (WgTool.PeerState p : have.peers()) current.put(p.publicKey(), p);
        Map<String, String> names = new HashMap<>();
        boolean changed = false;
        for (WgTool.PeerSpec want : peers) {
            names.put(want.publicKey(), want.endpoint() == null ? "?" : WgTool.host(want.endpoint()));
            WgTool.PeerState now = current.remove(want.publicKey());
            if (now == null || !same(want, now)) {
                wg.setPeer(dev, want);
                changed = true;
            }
        }
        for (String gone : current.keySet()) {
            wg.removePeer(dev, gone);
            changed = true;
        }
        labels = Map.copyOf(names);
        return changed;
    }

    private static boolean same(WgTool.PeerSpec want, WgTool.PeerState now) {
        String endpoint = want.endpoint() == null ? "" : WgTool.endpoint(want.endpoint());
        return endpoint.equals(now.endpoint()) && want.persistentKeepalive() == now.persistentKeepalive()
                && want.presharedKeyDigest().equals(now.presharedKeyDigest())
                && new HashSet<IpCidr>(want.allowedIps()).equals(new HashSet<>(now.allowedIps()));
    }

    @Override
    public String describe() {
        return runsOn;
    }

    @Override
    public List<WgTool.PeerState> peers() {
        return wg.show(dev).map(WgTool.Device::peers).orElse(List.of());
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        Optional<WgTool.Device> d = wg.show(dev);
        if (d.isEmpty()) return;
        Map<String, String> names = labels;
        w.counter("weft_wireguard_rx_bytes_total", "Bytes received from a peer (as the device counts them)");
        for (WgTool.PeerState p : d.get().peers()) {
            w.sample("weft_wireguard_rx_bytes_total", p.rxBytes(), "device", dev, "peer", names.get(p.publicKey()));
        }
        w.counter("weft_wireguard_tx_bytes_total", "Bytes sent to a peer (as the device counts them)");
        for (WgTool.PeerState p : d.get().peers()) {
            w.sample("weft_wireguard_tx_bytes_total", p.txBytes(), "device", dev, "peer", names.get(p.publicKey()));
        }
        w.gauge("weft_wireguard_last_handshake_timestamp_seconds", "When the last handshake with a peer completed (0: never)");
        for (WgTool.PeerState p : d.get().peers()) {
            w.sample("weft_wireguard_last_handshake_timestamp_seconds", p.latestHandshakeEpochSeconds(), "device", dev,
                    "peer", names.get(p.publicKey()));
        }
        WgDevice.writeInfo(w, dev, "datapath=" + runsOn);
    }

    @Override
    public void close() {
        // the device (and wireguard-go) stay: traffic keeps flowing while weftd restarts
    }
}
