package io.weft.agent.backend.wireguard.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The sliding window against the table the Linux kernel's and wireguard-go's replay tests use (wireguard-go
 * replay/replay_test.go, TestReplay): the same counters in the same order, the same verdicts, with the window of
 * 8192 - 64 counters both use.
 */
class ReplayWindowTest {
    private static final long LIMIT = Protocol.REJECT_AFTER_MESSAGES;
    private static final long T = ReplayWindow.WINDOW + 1;

    private final ReplayWindow w = new ReplayWindow();
    private int step;

    private void check(long counter, boolean expected) {
        step++;
        assertEquals(expected, w.accept(counter, LIMIT), "step " + step + ": counter " + Long.toUnsignedString(counter));
    }

    @Test
    void kernelTable() {
        long[][] table = {
            {0, 1}, {1, 1}, {1, 0}, {9, 1}, {8, 1}, {7, 1}, {7, 0}, {T, 1}, {T - 1, 1}, {T - 1, 0}, {T - 2, 1}, {2, 1},
            {2, 0}, {T + 16, 1}, {3, 0}, {T + 16, 0}, {T * 4, 1}, {T * 4 - (T - 1), 1}, {10, 0}, {T * 4 - T, 0},
            {T * 4 - (T + 1), 0}, {T * 4 - (T - 2), 1}, {T * 4 + 1 - T, 0}, {0, 0}, {LIMIT, 0}, {LIMIT - 1, 1},
            {LIMIT, 0}, {LIMIT - 1, 0}, {LIMIT - 2, 1}, {LIMIT + 1, 0}, {LIMIT + 2, 0}, {LIMIT - 2, 0}, {LIMIT - 3, 1},
            {0, 0},
        };
        for (long[] row : table) check(row[0], row[1] == 1);
    }

    @Test
    void bulkAscendingThenZero() {
        for (long i = 1; i <= ReplayWindow.WINDOW; i++) check(i, true);
        check(0, true);
        check(0, false);
    }

    @Test
    void bulkFromTwoThenOneThenZeroOutOfWindow() {
        for (long i = 2; i <= ReplayWindow.WINDOW + 1; i++) check(i, true);
        check(1, true);
        check(0, false);
    }

    @Test
    void bulkDescending() {
        for (long i = ReplayWindow.WINDOW + 1; i > 0; i--) check(i, true);
    }

    @Test
    void bulkDescendingFromTwoAbove() {
        for (long i = ReplayWindow.WINDOW + 2; i > 1; i--) check(i, true);
        check(0, false);
    }

    @Test
    void bulkDescendingThenOneAhead() {
        for (long i = ReplayWindow.WINDOW; i > 0; i--) check(i, true);
        check(ReplayWindow.WINDOW + 1, true);
        check(0, false);
    }

    @Test
    void bulkDescendingThenZeroThenOneAhead() {
        for (long i = ReplayWindow.WINDOW; i > 0; i--) check(i, true);
        check(0, true);
        check(ReplayWindow.WINDOW + 1, true);
    }
}
