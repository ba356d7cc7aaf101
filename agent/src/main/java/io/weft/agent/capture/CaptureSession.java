package io.weft.agent.capture;

import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One running capture: the datapath threads hand it inner frames (copied, cut at the snap length, stamped)
 * and it queues them as pcap records for a writer. The queue is bounded: when the writer falls behind, frames
 * are counted as dropped instead of slowing the datapath.
 */
public final class CaptureSession implements FrameSink {
    private final int snaplen;
    private final BlockingQueue<byte[]> records;
    private final AtomicLong captured = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    public CaptureSession(int snaplen, int queueFrames) {
        this.snaplen = snaplen;
        this.records = new ArrayBlockingQueue<>(queueFrames);
    }

    @Override
    public void frame(boolean transmit, ByteBuf buf, int offset, int length) {
        int cap = Math.min(length, snaplen);
        byte[] f = new byte[cap];
        buf.getBytes(offset, f, 0, cap);
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
        if (records.offer(PcapFormat.record(micros, f, cap, length))) captured.incrementAndGet();
        else dropped.incrementAndGet();
    }

    public int snaplen() {
        return snaplen;
    }

    /** The next record, or null if none arrives within the wait. */
    public byte[] poll(long millis) throws InterruptedException {
        return records.poll(millis, TimeUnit.MILLISECONDS);
    }

    public byte[] pollNow() {
        return records.poll();
    }

    public long captured() {
        return captured.get();
    }

    public long dropped() {
        return dropped.get();
    }
}
