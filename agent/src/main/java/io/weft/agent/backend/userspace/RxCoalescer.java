package io.weft.agent.backend.userspace;

import io.netty.buffer.ByteBuf;
import io.weft.core.packet.EthernetFrame;
import io.weft.core.packet.SegmentCoalescer;

/**
 * Receive-side coalescing for the TAP: core's {@link SegmentCoalescer} on Ethernet frames, TCP and UDP, with
 * checksums vouched for by the {@link Decapsulator} (right, or partial from a kernel peer on a veth, which the
 * NEEDS_CSUM on every written frame gets finished), and a failed TAP write counted on the peer the frame came from.
 * Event loop only.
 */
final class RxCoalescer {
    /** Where a finished frame goes: native address and length of virtio header + frame. */
    interface Sink {
        boolean write(long address, int length);
    }

    private final SegmentCoalescer<PeerCounters> coalescer;

    /** @param udp join UDP datagrams too: the kernel takes GSO_UDP_L4 frames on the TAP ({@link DatapathFeatures}) */
    RxCoalescer(ByteBuf directBuffer, boolean udp, Sink sink) {
        this.coalescer = new SegmentCoalescer<>(EthernetFrame.HEADER_LENGTH, directBuffer, sink::write,
                pc -> pc.drop(DropReason.TAP_WRITE), SegmentCoalescer.Checks.CALLER, udp);
    }

    /** Superframes written with more than one piece, and the pieces that went into them. */
    long superframes() {
        return coalescer.superframes();
    }

    long coalescedSegments() {
        return coalescer.coalescedSegments();
    }

    /**
     * Takes the frame if it can be held for coalescing (returns true; it will reach the TAP by a later
     * {@link #flush}); otherwise flushes what is held and returns false, and the caller writes the frame.
     */
    boolean offer(ByteBuf c, int off, int frameLen, PeerCounters pc) {
        return coalescer.offer(c, off, frameLen, pc);
    }

    /** Writes what is held. */
    void flush() {
        coalescer.flush();
    }
}
