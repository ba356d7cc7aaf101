package io.weft.lab.traffic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pod pinging another at a fixed rate ({@code ping -D -i 0.01}), every reply's sequence number and time kept,
 * so that losses can be told apart afterwards: each run of missing replies is a {@link Gap} with the time it began
 * and how long the pod heard nothing.
 */
public final class Pinger implements AutoCloseable {
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] .*icmp_seq=(\\d+) ");

    /**
     * Replies that did not come: sequence numbers {@code first..last}, after the reply at {@code fromEpoch} (seconds)
     * and until the one at {@code toEpoch} ({@code NaN}: none came since).
     */
    public record Gap(long first, long last, double fromEpoch, double toEpoch) {
        public long lost() {
            return last - first + 1;
        }

        /** Seconds between the replies around the gap. */
        public double seconds() {
            return toEpoch - fromEpoch;
        }
    }

    private final String name;
    private final Process process;
    private final TreeMap<Long, Double> replies = new TreeMap<>(); // guarded by this; unwrapped seq -> epoch seconds
    private long wraps;
    private long lastRaw = -1;

    private Pinger(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /** Starts pinging {@code dst} from namespace {@code netns} every {@code intervalSeconds} (0.01: 100 Hz). */
    public static Pinger start(String name, String netns, String dst, double intervalSeconds) throws IOException {
        Process p = new ProcessBuilder("ip", "netns", "exec", netns, "ping", "-D", "-n", "-W", "1", "-i",
                String.format(java.util.Locale.ROOT, "%.3f", intervalSeconds), dst).redirectErrorStream(true).start();
        Pinger pinger = new Pinger(name, p);
        Thread.ofPlatform().daemon().name("pinger-" + name).start(pinger::read);
        return pinger;
    }

    public String name() {
        return name;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = REPLY.matcher(line);
                if (!m.find()) continue;
                long raw = Long.parseLong(m.group(2));
                synchronized (this) {
                    if (lastRaw >= 0 && raw < lastRaw - 30000) wraps++; // icmp_seq wraps at 65536
                    lastRaw = raw;
                    replies.put(wraps * 65536 + raw, Double.parseDouble(m.group(1)));
                }
            }
        } catch (IOException e) {
            // stopped
        }
    }

    /** Replies heard so far. */
    public synchronized int replies() {
        return replies.size();
    }

    /** Time of the latest reply (epoch seconds), or NaN before the first. */
    public synchronized double lastReply() {
        return replies.isEmpty() ? Double.NaN : replies.lastEntry().getValue();
    }

    /** Every run of missing replies between the first reply and the last (and one at the end if replies stopped). */
    public synchronized List<Gap> gaps(double nowEpoch, double intervalSeconds) {
        List<Gap> out = new ArrayList<>();
        Long prev = null;
        for (var e : replies.entrySet()) {
            if (prev != null && e.getKey() > prev + 1) {
                out.add(new Gap(prev + 1, e.getKey() - 1, replies.get(prev), e.getValue()));
            }
            prev = e.getKey();
        }
        if (prev != null) {
            double since = nowEpoch - replies.get(prev);
            long missing = (long) Math.floor(since / intervalSeconds) - 100; // replies may be 1 s late (-W 1)
            if (missing > 0) out.add(new Gap(prev + 1, prev + missing, replies.get(prev), Double.NaN));
        }
        return out;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
