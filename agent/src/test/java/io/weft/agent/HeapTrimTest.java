package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the agent asks for a full collection: once per burst of kernel changes, after the burst has been quiet, and when
 * the heap has grown well past what the last collection left.
 */
class HeapTrimTest {
    /** At {@code atSecond}, {@code entries} changed (0: only a poll); {@code collections} so far after that poll. */
    record Step(long atSecond, int entries, int collections) {}

    record Case(String name, List<Step> steps) {}

    static final long S = 1_000_000_000L;

    @Test
    void collectsOncePerQuietBurst() {
        List<Case> cases = List.of(
                new Case("a small change never collects", List.of(new Step(0, 15, 0), new Step(60, 0, 0))),
                new Case("a burst collects once it is quiet", List.of(new Step(0, 15000, 0), new Step(5, 0, 0),
                        new Step(10, 0, 1), new Step(20, 0, 1))),
                new Case("changes inside the burst push the collection back", List.of(new Step(0, 600, 0), new Step(8, 600, 0),
                        new Step(12, 0, 0), new Step(18, 0, 1))),
                new Case("many small rounds add up to a burst", List.of(new Step(0, 400, 0), new Step(1, 400, 0),
                        new Step(2, 400, 0), new Step(12, 0, 1))),
                new Case("a second burst collects again", List.of(new Step(0, 5000, 0), new Step(10, 0, 1),
                        new Step(30, 5000, 1), new Step(40, 0, 2))));
        for (Case c : cases) {
            long[] now = {0};
            int[] collections = {0};
            HeapTrim trim = new HeapTrim(true, () -> now[0], () -> 20L << 20, () -> collections[0]++);
            for (Step st : c.steps()) {
                now[0] = st.atSecond() * S;
                trim.changed(st.entries());
                trim.poll();
                assertEquals(st.collections(), collections[0], c.name() + ", at " + st.atSecond() + " s");
            }
        }
    }

    @Test
    void saysWhenTheCollectionIsDue() {
        long[] now = {0};
        HeapTrim trim = new HeapTrim(true, () -> now[0], () -> 20L << 20, () -> {});
        trim.poll();
        assertEquals(Long.MAX_VALUE, trim.dueAt(), "nothing due: the loop's wait has no trim deadline");
        trim.changed(HeapTrim.BURST);
        now[0] = 4 * S;
        assertEquals(HeapTrim.QUIET_NANOS, trim.dueAt(), "the loop's wait ends when the burst has been quiet long enough");
        trim.poll();
        assertEquals(HeapTrim.QUIET_NANOS, trim.dueAt(), "still due then: polling early does not move it");
    }

    /**
     * Garbage that outlived the young generation grows the old one with no collection: at rest, the agent collects
     * once the committed heap is GROWTH above the least it has been since its last collection, and starts counting
     * from what that collection left.
     */
    @Test
    void collectsWhenTheHeapHasGrownAtRest() {
        long mib = 1L << 20;
        long[] heap = {30 * mib};
        int[] collections = {0};
        HeapTrim trim = new HeapTrim(true, () -> 0L, () -> heap[0], () -> {
            collections[0]++;
            heap[0] = 26 * mib; // what a full collection leaves
        });
        trim.poll();
        heap[0] = 24 * mib; // the JVM collected by itself: counted from there
        trim.poll();
        heap[0] = 31 * mib;
        trim.poll();
        assertEquals(0, collections[0], "7 MiB above the least: not yet");
        heap[0] = 32 * mib;
        trim.poll();
        assertEquals(1, collections[0], "8 MiB above the least");
        heap[0] = 33 * mib;
        trim.poll();
        assertEquals(1, collections[0], "counted from what the collection left (26 MiB)");
        heap[0] = 34 * mib;
        trim.poll();
        assertEquals(2, collections[0]);
    }

    /** A userspace datapath's heap grows and shrinks with its traffic: growth alone collects nothing there. */
    @Test
    void withoutTheGrowthTriggerOnlyABurstCollects() {
        long[] now = {0};
        long[] heap = {20L << 20};
        int[] collections = {0};
        HeapTrim trim = new HeapTrim(false, () -> now[0], () -> heap[0], () -> collections[0]++);
        trim.poll();
        heap[0] = 60L << 20;
        trim.poll();
        assertEquals(0, collections[0], "40 MiB of growth, no burst");
        trim.changed(HeapTrim.BURST);
        now[0] = HeapTrim.QUIET_NANOS;
        trim.poll();
        assertEquals(1, collections[0], "a quiet burst still collects");
    }

    /** A burst still going on waits for its quiet, however the heap grows meanwhile. */
    @Test
    void aBurstInProgressIsNotInterrupted() {
        long[] now = {0};
        long[] heap = {20L << 20};
        int[] collections = {0};
        HeapTrim trim = new HeapTrim(true, () -> now[0], () -> heap[0], () -> collections[0]++);
        trim.poll();
        trim.changed(HeapTrim.BURST);
        heap[0] = 60L << 20;
        now[0] = 5 * S;
        trim.poll();
        assertEquals(0, collections[0]);
        now[0] = 10 * S;
        trim.poll();
        assertEquals(1, collections[0]);
    }
}
