package io.weft.core.vxlan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.weft.core.packet.DirectBufferMemory;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DirectBufferMemoryTest {
    private static final PooledByteBufAllocator POOL = PooledByteBufAllocator.DEFAULT;

    @Test
    void copyBetweenPooledAndSlicedBuffersEqualsNettysCopy() {
        byte[] data = new byte[5000];
        new SplittableRandom(1).nextBytes(data);
        ByteBuf src = POOL.directBuffer(8192).writeBytes(data);
        ByteBuf slice = src.retainedSlice(100, 3000); // a derived buffer: its address is offset from src's
        ByteBuf dst = POOL.directBuffer(8192).writeZero(8192);
        ByteBuf want = Unpooled.buffer(8192).writeZero(8192);
        try {
            assertTrue(DirectBufferMemory.addressable(src) && DirectBufferMemory.addressable(slice));
            DirectBufferMemory.copy(slice, 7, dst, 33, 2000);
            want.setBytes(33, data, 107, 2000);
            DirectBufferMemory.copy(src, 0, dst, 3100, 5000 - 1);
            want.setBytes(3100, data, 0, 4999);
            assertArrayEquals(ByteBufUtil.getBytes(want), ByteBufUtil.getBytes(dst));
        } finally {
            slice.release();
            src.release();
            dst.release();
        }
    }

    @Test
    void aCopyPastEitherBufferIsRefusedAndWritesNothing() {
        ByteBuf src = POOL.directBuffer(64).writeZero(64);
        ByteBuf slice = src.retainedSlice(0, 16);
        ByteBuf dst = POOL.directBuffer(128, 128).writeZero(128);
        try {
            dst.setByte(127, 0x5a);
            assertThrows(IndexOutOfBoundsException.class, () -> DirectBufferMemory.copy(src, 0, dst, 100, 29));
            assertThrows(IndexOutOfBoundsException.class, () -> DirectBufferMemory.copy(slice, 8, dst, 0, 9));
            assertThrows(IndexOutOfBoundsException.class, () -> DirectBufferMemory.copy(src, -1, dst, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> DirectBufferMemory.address(src, 60, 5));
            assertEquals(0x5a, dst.getByte(127));
            assertEquals(0, dst.getByte(100));
        } finally {
            slice.release();
            src.release();
            dst.release();
        }
    }

    /** The readers by address give what Netty's getters give, through a slice too (raw ones: little-endian x86). */
    @Test
    void fieldsReadByAddressEqualNettysGetters() {
        byte[] data = new byte[256];
        new SplittableRandom(7).nextBytes(data);
        ByteBuf parent = PooledByteBufAllocator.DEFAULT.directBuffer(300).writeBytes(data);
        ByteBuf slice = parent.retainedSlice(13, 200);
        ByteBuf other = PooledByteBufAllocator.DEFAULT.directBuffer(200).writeBytes(data, 13, 200);
        try {
            long a = DirectBufferMemory.address(slice, 0, 200);
            for (int i = 0; i + 8 <= 200; i++) {
                assertEquals(slice.getUnsignedByte(i), DirectBufferMemory.u8(a + i), "u8 at " + i);
                assertEquals(slice.getUnsignedShort(i), DirectBufferMemory.u16(a + i), "u16 at " + i);
                assertEquals(slice.getUnsignedInt(i), DirectBufferMemory.u32(a + i), "u32 at " + i);
                assertEquals(slice.getLongLE(i), DirectBufferMemory.raw64(a + i), "raw64 at " + i);
                assertEquals(slice.getIntLE(i), DirectBufferMemory.raw32(a + i), "raw32 at " + i);
            }
            long o = DirectBufferMemory.address(other, 0, 200);
            assertTrue(DirectBufferMemory.equal(a, o, 200), "same bytes in another buffer");
            other.setByte(150, other.getByte(150) ^ 0x40);
            assertTrue(!DirectBufferMemory.equal(a, o, 200), "one bit differs at 150");
            assertTrue(DirectBufferMemory.equal(a, o, 150), "before the changed byte");
            assertTrue(!DirectBufferMemory.equal(a, o + 1, 12), "shifted by one");
            assertTrue(DirectBufferMemory.equal(a, o, 0), "nothing to compare");
        } finally {
            other.release();
            slice.release();
            parent.release();
        }
    }

    @Test
    void heapBuffersAreCopiedThroughNetty() {
        ByteBuf heap = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4});
        ByteBuf dst = POOL.directBuffer(8).writeZero(8);
        try {
            DirectBufferMemory.copy(heap, 1, dst, 2, 3);
            assertArrayEquals(new byte[] {0, 0, 2, 3, 4, 0, 0, 0}, ByteBufUtil.getBytes(dst));
        } finally {
            dst.release();
        }
    }

    /**
     * The "no allocation per packet": cutting a 64 KiB superframe into 46 checksummed segments, pooled
     * direct buffers in and out, allocates no object per segment. (With one of its two copies put back through
     * Netty it was ~2.9 KB per superframe.)
     */
    @Test
    void segmentingASuperframeAllocatesNothingPerSegment() {
        // The tests run with Netty's leak detector at PARANOID, which records a stack trace at every access of a
        // buffer; the datapath runs without it, so it is off for this measurement (and put back after).
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        ByteBuf heapFrame = TcpSegmenterTest.superframe(64_000, 1, 0x18);
        ByteBuf in = POOL.directBuffer(heapFrame.readableBytes()).writeBytes(heapFrame);
        int hdr = TcpSegmenter.headerLength(in, 0, in.readableBytes());
        ByteBuf out = POOL.directBuffer(TcpSegmenter.outputSize(hdr, in.readableBytes(), 1398));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            int segments = 0;
            for (int i = 0; i < 3000; i++) segments = segmentOnce(in, hdr, out); // past the JIT's warm-up
            long before = threads.getCurrentThreadAllocatedBytes();
            int rounds = 2000;
            for (int i = 0; i < rounds; i++) segmentOnce(in, hdr, out);
            long perSuperframe = (threads.getCurrentThreadAllocatedBytes() - before) / rounds;
            assertEquals(46, segments);
            assertTrue(perSuperframe < 64, perSuperframe + " bytes allocated per superframe of " + segments + " segments");
        } finally {
            in.release();
            out.release();
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static int segmentOnce(ByteBuf in, int hdr, ByteBuf out) {
        out.writerIndex(0);
        return TcpSegmenter.segment(in, 0, in.readableBytes(), hdr, 1398, out, 1);
    }
}
