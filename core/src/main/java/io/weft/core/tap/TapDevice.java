package io.weft.core.tap;

import java.io.IOException;

/** A TAP: Ethernet frames, each behind a virtio-net header (the userspace VXLAN datapath's VTEP). */
public final class TapDevice extends TunTapDevice {
    private TapDevice(String name, int fd) {
        super(name, fd);
    }

    /** Opens (creating if needed) the TAP {@code name} with a virtio-net header on every frame. */
    public static TapDevice open(String name) throws IOException {
        return new TapDevice(name, openFd(name, IFF_TAP));
    }
}
