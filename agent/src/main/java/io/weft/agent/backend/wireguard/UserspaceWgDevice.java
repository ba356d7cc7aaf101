package io.weft.agent.backend.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.agent.backend.BackendException;
import io.weft.agent.backend.wireguard.noise.LocalIdentity;
import io.weft.agent.backend.wireguard.tunnel.Peer;
import io.weft.agent.backend.wireguard.tunnel.WgCounters;
import io.weft.agent.backend.wireguard.tunnel.WgDatapath;
import io.weft.agent.backend.wireguard.tunnel.WgDrop;
import io.weft.agent.capture.FrameSink;
import io.weft.agent.metrics.MetricsWriter;
import io.weft.core.iproute.IpBatch;
import io.weft.core.iproute.IpException;
import io.weft.core.iproute.IpOp;
import io.weft.core.iproute.IpReader;
import io.weft.core.iproute.Link;
import io.weft.core.iproute.LinkInfo;
import io.weft.core.iproute.Netns;
import io.weft.core.iproute.WgTool;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.tap.TunDevice;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * {@code "Datapath": "userspace"}: weft's own WireGuard, a TUN {@code flannel-wg} the agent holds and
 * {@link WgDatapath} behind it. The TUN is not persistent: it goes with the agent (nothing stale keeps swallowing
 * traffic) and the next run makes it again, with the same key from the key file, and handshakes at once.
 */
final class UserspaceWgDevice implements WgDevice {
    static final int TX_QUEUE_LEN = 8192;

    private final Netns ns;
    private final String dev;
    private LocalIdentity identity;
    private final int listenPort;
    private final int mtu;
    private final boolean offload;
    private TunDevice tun;
    private volatile WgDatapath datapath;
    private List<WgTool.PeerSpec> lastPeers = List.of();
    private volatile FrameSink capture;

    UserspaceWgDevice(Netns ns, String dev, int listenPort, int mtu, boolean offload) {
        this.ns = ns;
        this.dev = dev;
        this.listenPort = listenPort;
        this.mtu = mtu;
        this.offload = offload;
    }

    FrameSink captureSink() {
        return capture;
    }

    /**
     * Hands every decrypted packet to {@code sink} as an Ethernet frame (zero MAC addresses, type IPv4 or IPv6), the form the
     * capture's pcap files hold; a copy is made only while a capture runs.
     */
    void captureSink(FrameSink sink) {
        capture = sink;
        WgDatapath dp = datapath;
        if (dp == null) return;
        dp.tunnel().sink(sink == null ? null : (transmit, buf, off, len) -> {
            ByteBuf frame = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + len);
            boolean v6 = len > 0 && buf.getUnsignedByte(off) >>> 4 == 6;
            frame.writeZero(12).writeShort(v6 ? EthernetFrame.TYPE_IPV6 : EthernetFrame.TYPE_IPV4).writeBytes(buf, off, len);
            sink.frame(transmit, frame, 0, frame.readableBytes());
        });
    }

    @Override
    public synchronized void open() {
        Optional<LinkInfo> existing = new IpReader(ns).link(dev);
        if (existing.isPresent()) {
            String kind = existing.get().kind();
            boolean wgGo = WgTool.userspaceSocketExists(dev) && new WgTool(ns).show(dev).isPresent();
            if (!"tun".equals(kind) || wgGo) {
                throw new BackendException(dev + " exists and is " + (wgGo ? "run by wireguard-go" : "a " + kind + " device")
                        + ", not weft's userspace WireGuard: UDP port " + listenPort + " is probably in use by it; delete it"
                        + " (ip link del " + dev + ") to switch to the userspace datapath");
            }
        }
    }

    @Override
    public synchronized void configure(byte[] privateKey, java.nio.file.Path keyFile) {
        identity = new LocalIdentity(privateKey);
        start();
    }

    private void start() {
        try {
            tun = TunDevice.open(dev);
        } catch (IOException e) {
            throw new BackendException("cannot open TUN " + dev + ": " + e.getMessage(), e);
        }
        try {
            new IpBatch().add(Link.mtu(dev, mtu))
                    .add(IpOp.ip("link", "set", "dev", dev, "txqueuelen", Integer.toString(TX_QUEUE_LEN)))
                    .apply(ns);
        } catch (IpException e) {
            tun.close();
            throw new BackendException("cannot configure TUN " + dev + ": " + e.getMessage(), e);
        }
        WgDatapath dp = new WgDatapath(tun, WgDatapath.Options.defaults(listenPort, mtu).withOffload(offload), identity);
        try {
            dp.start();
        } catch (BindException e) {
            tun.close();
            throw new BackendException("UDP port " + listenPort + " is in use (is a kernel or wireguard-go " + dev
                    + " running? another agent?)", e);
        } catch (IOException e) {
            tun.close();
            throw new BackendException("cannot start the userspace WireGuard datapath: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            tun.close();
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while starting the userspace WireGuard datapath", e);
        }
        datapath = dp;
        if (!lastPeers.isEmpty()) apply(lastPeers);
        if (capture != null) captureSink(capture);
    }

    @Override
    public boolean healthy() {
        Optional<LinkInfo> link = new IpReader(ns).link(dev);
        return datapath != null && link.isPresent() && "tun".equals(link.get().kind());
    }

    @Override
    public synchronized boolean setPeers(List<WgTool.PeerSpec> peers) {
        if (peers.equals(lastPeers)) return false;
        lastPeers = List.copyOf(peers);
        apply(peers);
        return true;
    }

    private void apply(List<WgTool.PeerSpec> specs) {
        List<Peer> list = new ArrayList<>();
        for (WgTool.PeerSpec s : specs) {
            list.add(new Peer(Base64.getDecoder().decode(s.publicKey()),
                    s.presharedKey() == null ? null : Base64.getDecoder().decode(s.presharedKey()),
                    WgTool.host(s.endpoint()), s.endpoint(), s.allowedIps(), s.persistentKeepalive()));
        }
        WgDatapath dp = datapath;
        if (dp != null) dp.tunnel().setPeers(list);
    }

    @Override
    public String describe() {
        WgDatapath dp = datapath;
        return "userspace (" + (dp == null ? "stopped" : dp.features()) + ")";
    }

    @Override
    public List<WgTool.PeerState> peers() {
        WgDatapath dp = datapath;
        if (dp == null) return List.of();
        List<WgTool.PeerState> out = new ArrayList<>();
        for (Peer p : dp.tunnel().peers()) {
            InetSocketAddress e = p.endpoint();
            WgCounters c = p.counters();
            out.add(new WgTool.PeerState(p.publicKeyBase64(), "", e == null ? "" : WgTool.endpoint(e), p.allowed(),
                    c.lastHandshakeMillis() / 1000, c.rxBytes(), c.txBytes(), 0));
        }
        return out;
    }

    @Override
    public List<WgCounters> counters() {
        WgDatapath dp = datapath;
        if (dp == null) return List.of();
        List<WgCounters> all = new ArrayList<>();
        for (Peer p : dp.tunnel().peers()) all.add(p.counters());
        all.add(dp.tunnel().unknownCounters());
        return all;
    }

    @Override
    public void writeMetrics(MetricsWriter w) {
        WgDatapath dp = datapath;
        if (dp == null) return;
        List<WgCounters> all = new ArrayList<>();
        for (Peer p : dp.tunnel().peers()) all.add(p.counters());
        counters(w, all, "weft_wireguard_rx_packets_total", "Packets received from a peer and written to the TUN", WgCounters::rxPackets);
        counters(w, all, "weft_wireguard_rx_bytes_total", "Inner packet bytes received from a peer", WgCounters::rxBytes);
        counters(w, all, "weft_wireguard_tx_packets_total", "Packets sent to a peer (after TSO segmentation)", WgCounters::txPackets);
        counters(w, all, "weft_wireguard_tx_bytes_total", "Inner packet bytes sent to a peer", WgCounters::txBytes);
        counters(w, all, "weft_wireguard_keepalives_received_total", "Keepalives received from a peer", WgCounters::keepalivesReceived);
        counters(w, all, "weft_wireguard_handshakes_total", "Handshakes completed with a peer", WgCounters::handshakes);
        w.gauge("weft_wireguard_last_handshake_timestamp_seconds", "When the last handshake with a peer completed (0: never)");
        for (WgCounters c : all) {
            w.sample("weft_wireguard_last_handshake_timestamp_seconds", c.lastHandshakeMillis() / 1000, "device", dev, "peer", c.peer());
        }
        all.add(dp.tunnel().unknownCounters());
        w.counter("weft_wireguard_drops_total", "Packets dropped by the userspace WireGuard device, by peer (or unknown) and reason");
        for (WgCounters c : all) {
            for (WgDrop r : WgDrop.values()) {
                w.sample("weft_wireguard_drops_total", c.drops(r), "device", dev, "peer", c.peer(), "reason", r.label());
            }
        }
        w.gauge("weft_wireguard_peers", "Peers configured on the device", all.size() - 1, "device", dev);
        long[] co = dp.tunnel().receiver().coalesceStats();
        w.counter("weft_wireguard_rx_superpackets_total", "TCP superpackets written to the TUN after receive coalescing", co[0], "device", dev);
        w.counter("weft_wireguard_rx_coalesced_segments_total", "Received TCP segments joined into superpackets", co[1], "device", dev);
        w.counter("weft_wireguard_tx_backpressure_total", "Times the socket backed up and TUN reads paused", dp.tunPauses(), "device", dev);
        WgDevice.writeInfo(w, dev, "datapath=userspace " + dp.features());
    }

    private void counters(MetricsWriter w, List<WgCounters> all, String name, String help,
                          java.util.function.ToLongFunction<WgCounters> f) {
        w.counter(name, help);
        for (WgCounters c : all) w.sample(name, f.applyAsLong(c), "device", dev, "peer", c.peer());
    }

    @Override
    public synchronized void close() {
        if (datapath != null) datapath.close();
        datapath = null;
        if (tun != null) tun.close();
        tun = null;
    }
}
