package io.weft.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WakeLatencyTest {
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a lost unpark would hang the bench: fail here instead
    void everyWakeUpIsMeasuredOnceAndSorted() throws Exception {
        long[] micros = WakeLatency.measure(50, 2);
        assertEquals(50, micros.length);
        for (int i = 1; i < micros.length; i++) assertTrue(micros[i - 1] <= micros[i], "sorted");
        assertTrue(micros[0] >= 0, "a wake-up after its unpark: " + micros[0]);
        // each sample is the time from one unpark to the sleeper running: far below the 2 ms between them
        // unless a sample were taken late (then it would include the gap)
        assertTrue(micros[25] < 2000, "p50 " + micros[25] + " µs");
    }
}
