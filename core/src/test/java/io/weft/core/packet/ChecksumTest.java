package io.weft.core.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word-wise checksum against RFC 1071's definition, byte pair by byte pair, on random regions. */
class ChecksumTest {
    /** The definition: big-endian 16-bit words added one by one, an odd last byte padded with zero. */
    static long reference(byte[] d, int off, int len, long initial) {
        long s = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = d[off + i] & 0xff;
            int lo = i + 1 < len ? d[off + i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
        }
        return s;
    }

    @Test
    void equalsTheDefinitionOnRandomRegionsOfDirectAndHeapBuffers() {
        Random r = new Random(42);
        byte[] data = new byte[70_000];
        r.nextBytes(data);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        try {
            for (int t = 0; t < 3000; t++) {
                int off = r.nextInt(64);
                // every length class: tails of 0..15 bytes, short headers, 64 KiB
                int len = t < 200 ? t : r.nextInt(66_000);
                long initial = r.nextInt(1 << 20);
                int want = Checksum.fold(reference(data, off, len, initial));
                assertEquals(want, Checksum.fold(Checksum.sum(direct, off, len, initial)), "direct off " + off + " len " + len);
                assertEquals(want, Checksum.fold(Checksum.sum(heap, off, len, initial)), "heap off " + off + " len " + len);
            }
            // all-ones data: the accumulators' carries are where a word-wise sum would go wrong
            byte[] ff = new byte[65_536];
            java.util.Arrays.fill(ff, (byte) 0xff);
            ByteBuf ones = PooledByteBufAllocator.DEFAULT.directBuffer(ff.length).writeBytes(ff);
            assertEquals(Checksum.fold(reference(ff, 0, 65_535, 0xffff)), Checksum.fold(Checksum.sum(ones, 0, 65_535, 0xffff)));
            ones.release();
        } finally {
            direct.release();
        }
    }
}
