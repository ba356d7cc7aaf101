package io.weft.agent.backend.device;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.weft.core.tap.TunTapDevice;
import java.util.logging.Logger;

/**
 * A TAP's or TUN's descriptor in a Netty epoll event loop, as a userspace datapath reads it: readable runs
 * {@code readable} on the loop. EPOLLERR means the device was deleted under the agent (tun reports it once detached,
 * and epoll reports it whatever the interest set): the handle then leaves the epoll set instead of spinning on it,
 * says so once and runs {@code gone}; the agent's next resync sees the device missing and reopens the datapath.
 * The device owns and closes the descriptor.
 */
public final class DeviceEpollHandle implements EpollIoHandle {
    private static final Logger LOG = Logger.getLogger(DeviceEpollHandle.class.getName());

    private final TunTapDevice device;
    private final FileDescriptor fd;
    private final Runnable readable;
    private final Runnable gone;

    public DeviceEpollHandle(TunTapDevice device, Runnable readable, Runnable gone) {
        this.device = device;
        this.fd = new FileDescriptor(device.fd());
        this.readable = readable;
        this.gone = gone;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        if (event instanceof EpollIoEvent e && e.ops().contains(EpollIoOps.EPOLLERR)) {
            LOG.warning(device.name() + " went away (deleted?): not reading it until the agent reopens it");
            gone.run();
            try {
                r.cancel();
            } catch (Exception ex) {
                LOG.fine("cancel " + device.name() + " registration: " + ex);
            }
            return;
        }
        readable.run();
    }

    @Override
    public void close() {
        // the device owns and closes the descriptor
    }
}
