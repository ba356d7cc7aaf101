package io.weft.core.iproute;

import java.util.List;

/**
 * One change to the kernel, as the line iproute2 takes in batch mode.
 *
 * @param tool "ip" or "bridge"
 * @param args the arguments, as they would follow the tool's name on a command line
 */
public record IpOp(String tool, List<String> args) {
    public static final String IP = "ip";
    public static final String BRIDGE = "bridge";

    public static IpOp ip(String... args) {
        return new IpOp(IP, List.of(args));
    }

    public static IpOp bridge(String... args) {
        return new IpOp(BRIDGE, List.of(args));
    }

    public String line() {
        return String.join(" ", args);
    }

    @Override
    public String toString() {
        return tool + " " + line();
    }
}
