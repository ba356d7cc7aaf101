package io.weft.core.iproute;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which network namespace a command acts in: the caller's own, a named one under /var/run/netns
 * (iproute2's {@code -n}), or any namespace file such as /proc/PID/ns/net (entered with nsenter,
 * which is how CNI hands us a pod's namespace).
 */
public sealed interface Netns {

    Netns CURRENT = new Current();

    static Netns named(String name) {
        return new Named(name);
    }

    static Netns path(Path file) {
        return new File(file);
    }

    /** Parses what CNI_NETNS and similar settings hold: a path if it contains a slash, else a name. */
    static Netns of(String spec) {
        return spec.contains("/") ? path(Path.of(spec)) : named(spec);
    }

    /** The command line for {@code tool} (ip or bridge) with its arguments, run in this namespace. */
    List<String> command(String tool, List<String> args);

    /** The argument {@code ip link set ... netns X} takes to move a device here. */
    String linkTarget();

    /**
     * The command line that runs any program (iptables, nft) in this namespace; unlike {@link #command}, which
     * passes iproute2's own {@code -n}, this enters the namespace first.
     */
    default List<String> exec(List<String> cmd) {
        List<String> c = new ArrayList<>();
        switch (this) {
            case Current x -> { }
            case Named n -> c.addAll(List.of("ip", "netns", "exec", n.name()));
            case File f -> c.addAll(List.of("nsenter", "--net=" + f.file()));
        }
        c.addAll(cmd);
        return c;
    }

    record Current() implements Netns {
        @Override
        public List<String> command(String tool, List<String> args) {
            List<String> c = new ArrayList<>(args.size() + 1);
            c.add(tool);
            c.addAll(args);
            return c;
        }

        /**
         * This JVM's namespace by its pid: "/proc/self/ns/net" would be read by the ip process, which has
         * already entered the namespace it acts in (-n, nsenter), so the device silently stayed where it was.
         */
        @Override
        public String linkTarget() {
            return "/proc/" + ProcessHandle.current().pid() + "/ns/net";
        }
    }

    record Named(String name) implements Netns {
        @Override
        public List<String> command(String tool, List<String> args) {
            List<String> c = new ArrayList<>(args.size() + 3);
            c.add(tool);
            c.add("-n");
            c.add(name);
            c.addAll(args);
            return c;
        }

        @Override
        public String linkTarget() {
            return name;
        }

        @Override
        public String toString() {
            return "netns " + name;
        }
    }

    record File(Path file) implements Netns {
        @Override
        public List<String> command(String tool, List<String> args) {
            List<String> c = new ArrayList<>(args.size() + 2);
            c.add("nsenter");
            c.add("--net=" + file);
            c.add(tool);
            c.addAll(args);
            return c;
        }

        @Override
        public String linkTarget() {
            return file.toString();
        }

        @Override
        public String toString() {
            return "netns " + file;
        }
    }
}
