package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Values as Go's strconv reads flag values (flag.boolValue.Set is ParseBool, flag.intValue.Set is ParseInt(s, 0, 64)). */
class GoFlagsTest {
    @ParameterizedTest(name = "ParseInt({0}, 0, 64) = {1}")
    @CsvSource(nullValues = "error", value = {
            "10, 10", "+5, 5", "-7, -7", "0, 0", "010, 8", "0x2a, 42", "0X2A, 42", "0o17, 15", "0b101, 5", "-0x10, -16",
            "1_000, 1000", "0x_1f, 31", "1__0, error", "_1, error", "1_, error", "08, error", "0x, error", "--5, error",
            "5s, error", "'', error", "9223372036854775807, 9223372036854775807", "9223372036854775808, error"})
    void integers(String in, Long want) {
        assertEquals(want, GoFlags.parseInt(in));
    }

    @ParameterizedTest(name = "ParseBool({0}) = {1}")
    @CsvSource(nullValues = "error", value = {
            "1, true", "t, true", "T, true", "TRUE, true", "true, true", "True, true",
            "0, false", "f, false", "F, false", "FALSE, false", "false, false", "False, false",
            "yes, error", "tRUE, error", "'', error", "on, error"})
    void booleans(String in, Boolean want) {
        assertEquals(want, GoFlags.parseBool(in));
    }
}
