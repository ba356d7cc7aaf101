package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.ByteBuf;

/** Receives a copy of every inner IP packet the device seals or delivers (for capture). Must be thread safe. */
@FunctionalInterface
public interface PacketSink {
    /** @param transmit true for TUN → wire, false for wire → TUN; the bytes are only valid during the call */
    void packet(boolean transmit, ByteBuf buf, int offset, int length);
}
