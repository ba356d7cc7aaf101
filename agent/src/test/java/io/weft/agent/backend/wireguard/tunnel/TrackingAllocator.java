package io.weft.agent.backend.wireguard.tunnel;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Pooled buffers, each remembered, so a test can check that every one was released. */
final class TrackingAllocator extends AbstractByteBufAllocator {
    final List<ByteBuf> all = new CopyOnWriteArrayList<>();

    TrackingAllocator() {
        super(true);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        all.add(b);
        return b;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        all.add(b);
        return b;
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    long unreleased() {
        return all.stream().filter(b -> b.refCnt() > 0).count();
    }
}
