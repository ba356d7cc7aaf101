package io.weft.agent.debug;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * The time a debug connection has to deliver its request head (for TLS, the handshake too) before it is closed: a
 * whole deadline, not a timeout per read, so a client that trickles a byte at a time cannot hold a connection slot
 * for longer either. Closing the socket from the timer's thread ends a read or handshake that waits on it.
 */
final class HeadDeadline {
    static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);

    private HeadDeadline() {
    }

    /** Starts the deadline for {@code c}; run the returned action once the head is in, to stop it. */
    static Runnable start(Closeable c) {
        Thread timer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(HEAD_TIMEOUT);
                c.close();
            } catch (InterruptedException | IOException e) {
                // the head arrived, or the connection is gone already
            }
        });
        return timer::interrupt;
    }
}
