package io.weft.agent.preflight;

import io.weft.core.libc.Libc;

/**
 * Keeps a second weftd off a node: each agent binds the abstract unix socket {@code @weftd} in its network
 * namespace, and the kernel lets one socket at a time hold that name. A network namespace is what makes a node
 * (hostNetwork pods, a weftd started by hand, a lab node), so this holds whatever the agents' flags and mounts
 * (a debug socket turned off or elsewhere, a container without /run/weft); and the name goes when its holder's
 * process ends, kill -9 included, so no stale lock ever keeps a restarted agent out.
 */
public final class OneAgentPerNode implements AutoCloseable {
    static final String NAME = "weftd";
    private final int fd;

    private OneAgentPerNode(int fd) {
        this.fd = fd;
    }

    /** Holds the node's name until {@link #close()} or the process ends; refuses when another agent holds it. */
    public static OneAgentPerNode acquire() {
        Libc.Result s = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (s.failed()) throw new IllegalStateException("cannot make a unix socket: " + s.error());
        int fd = (int) s.value();
        Libc.Result b = Libc.bindAbstract(fd, NAME);
        if (b.failed()) {
            Libc.close(fd);
            if (b.errno() == Libc.EADDRINUSE) {
                throw new IllegalStateException("another weftd is already running on this node (it holds @" + NAME
                        + " in this network namespace): stop it first; two agents would fight over one device, its "
                        + "routes and the node's lease");
            }
            throw new IllegalStateException("cannot bind @" + NAME + ": " + b.error());
        }
        return new OneAgentPerNode(fd);
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
