package io.weft.cni.bridge;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The node's interfaces as the plugin names and finds them. */
public final class NodeLinks {
    private static final Path SYS_NET = Path.of("/sys/class/net");

    private NodeLinks() {}

    /** A pod's host-side veth: named from the attachment, so DEL and GC find it with the pod's netns gone. */
    public static String vethName(String containerId, String ifname) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (byte b : (containerId.strip() + "/" + ifname).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        // zero-padded hex by hand: String.format starts Formatter (regex, locale data), ~1 ms in a cold JVM
        String hex = Integer.toHexString((int) (h ^ (h >>> 32)));
        return "veth" + "00000000".substring(hex.length()) + hex;
    }

    /** Whether the node has an interface of that name (sysfs: no netlink socket needed for the question). */
    public static boolean exists(String dev) {
        return Files.exists(SYS_NET.resolve(dev));
    }

    /** The interface's MAC address as sysfs shows it, null if it is gone. */
    public static String mac(String dev) {
        try {
            return Files.readString(SYS_NET.resolve(dev).resolve("address")).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
