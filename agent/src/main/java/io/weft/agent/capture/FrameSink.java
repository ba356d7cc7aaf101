package io.weft.agent.capture;

import io.netty.buffer.ByteBuf;

/** Receives a copy of every inner Ethernet frame the datapath sends or delivers (for capture). Must be thread safe. */
@FunctionalInterface
public interface FrameSink {
    /** @param transmit true for TAP → wire, false for wire → TAP; the bytes are only valid during the call */
    void frame(boolean transmit, ByteBuf buf, int offset, int length);
}
