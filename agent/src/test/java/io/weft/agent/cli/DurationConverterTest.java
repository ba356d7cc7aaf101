package io.weft.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Durations as flanneld's flags take them (Go's units), and plain seconds as its --iptables-resync takes them. */
class DurationConverterTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"500ms, PT0.5S", "2s, PT2S", "1.5s, PT1.5S", "1m, PT1M", "1h, PT1H", "5, PT5S"})
    void goUnits(String flag, String iso) {
        assertEquals(Duration.parse(iso), new DurationConverter().convert(flag));
    }
}
