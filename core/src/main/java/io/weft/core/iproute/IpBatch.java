package io.weft.core.iproute;

import java.util.ArrayList;
import java.util.List;

/**
 * Many kernel changes applied with one process per tool ({@code ip -batch -}, {@code bridge -batch -}):
 * a thousand routes then cost one fork instead of a thousand. Consecutive ops of the same tool share a
 * process; the order of the list is kept, so a device is created before its routes and FDB entries.
 */
public final class IpBatch {
    private final List<IpOp> ops = new ArrayList<>();

    public IpBatch add(IpOp op) {
        ops.add(op);
        return this;
    }

    public IpBatch addAll(List<IpOp> more) {
        ops.addAll(more);
        return this;
    }

    public List<IpOp> ops() {
        return List.copyOf(ops);
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    public int size() {
        return ops.size();
    }

    /**
     * Applies every op, continuing past failures ({@code -force}) so that one bad entry does not hold back
     * the others; then throws naming each op that failed, with the tool's own message.
     */
    public void apply(Netns ns) {
        List<String> failures = new ArrayList<>();
        List<String> laterErrors = new ArrayList<>();
        IpException first = null;
        int i = 0;
        while (i < ops.size()) {
            String tool = ops.get(i).tool();
            int j = i;
            StringBuilder in = new StringBuilder();
            while (j < ops.size() && ops.get(j).tool().equals(tool)) {
                in.append(ops.get(j).line()).append('\n');
                j++;
            }
            List<IpOp> chunk = ops.subList(i, j);
            IpRunner.Result r = j - i == 1
                    ? IpRunner.run(ns.command(tool, chunk.getFirst().args()), null)
                    : IpRunner.run(ns.command(tool, List.of("-force", "-batch", "-")), in.toString());
            if (r.exitCode() != 0) {
                List<String> named = failedOps(chunk, r.stderr());
                failures.addAll(named);
                if (first == null) {
                    first = new IpException(r.command(), r.exitCode(), r.stderr(), null);
                } else {
                    // a later process (e.g. bridge after ip) failed too: its command and stderr must not be lost
                    laterErrors.add(String.join(" ", r.command()) + " exited " + r.exitCode() + ": " + r.stderr().strip());
                }
            }
            i = j;
        }
        if (first != null) {
            StringBuilder detail = new StringBuilder("failed: ").append(String.join("; ", failures));
            for (String later : laterErrors) detail.append("\nand ").append(later);
            throw new IpException(first.command(), first.exitCode(), first.stderr(), detail.toString());
        }
    }

    private static List<String> failedOps(List<IpOp> chunk, String stderr) {
        List<String> out = new ArrayList<>();
        for (BatchFailures.Failure f : BatchFailures.parse(stderr)) {
            if (f.line() >= 1 && f.line() <= chunk.size()) out.add(chunk.get(f.line() - 1).toString());
        }
        if (out.isEmpty()) chunk.forEach(op -> out.add(op.toString()));
        return out;
    }

    /** Applies a single op in its own process. */
    public static void run(Netns ns, IpOp op) {
        new IpBatch().add(op).apply(ns);
    }
}
