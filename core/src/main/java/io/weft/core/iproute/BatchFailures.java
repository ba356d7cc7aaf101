package io.weft.core.iproute;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ip -force -batch} and {@code bridge -force -batch} print on stderr for the lines that failed: the
 * tool's own message, then {@code Command failed -:N} (N counts the batch's lines from 1). Parsed by hand, not
 * with a regex: the CNI plugin reads this in a JVM that lives for one call, where java.util.regex costs
 * milliseconds to load.
 */
final class BatchFailures {
    /** One failed batch line: its number (from 1) and what the tool printed for it. */
    record Failure(int line, String message) {}

    private static final String MARKER = "Command failed -:";

    private BatchFailures() {}

    static List<Failure> parse(String stderr) {
        List<Failure> out = new ArrayList<>();
        int from = 0; // what the tool printed for a failed line comes before its marker
        int i = stderr.indexOf(MARKER);
        while (i >= 0) {
            int j = i + MARKER.length();
            int n = 0;
            while (j < stderr.length() && stderr.charAt(j) >= '0' && stderr.charAt(j) <= '9') n = n * 10 + (stderr.charAt(j++) - '0');
            out.add(new Failure(n, stderr.substring(from, i).strip()));
            from = j;
            i = stderr.indexOf(MARKER, j);
        }
        return out;
    }
}
