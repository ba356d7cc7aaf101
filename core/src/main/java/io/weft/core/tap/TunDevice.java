package io.weft.core.tap;

import java.io.IOException;

/**
 * A TUN: IP packets without a link-layer header, each behind a virtio-net header (the userspace WireGuard device).
 * With offloads on, the kernel hands over TCP superpackets (gso_type TCPV4/TCPV6) whose checksums the reader
 * completes per segment, and takes coalesced ones back.
 */
public final class TunDevice extends TunTapDevice {
    private TunDevice(String name, int fd) {
        super(name, fd);
    }

    /** Opens (creating if needed) the TUN {@code name} with a virtio-net header on every packet. */
    public static TunDevice open(String name) throws IOException {
        return new TunDevice(name, openFd(name, IFF_TUN));
    }
}
