package io.weft.cni.skel;

import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CNI_* environment variables a runtime sets (the reference skel's CmdArgs), and which of them each command
 * needs: missing or invalid is code 4.
 */
public record CniEnv(String command, String containerId, String netns, String ifname, String args, String path) {
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

    public static CniEnv from(Map<String, String> env) {
        return new CniEnv(blankToNull(env.get("CNI_COMMAND")), blankToNull(env.get("CNI_CONTAINERID")),
                blankToNull(env.get("CNI_NETNS")), blankToNull(env.get("CNI_IFNAME")), blankToNull(env.get("CNI_ARGS")),
                blankToNull(env.get("CNI_PATH")));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * What {@code cmd} needs, as the reference skel's table says: container id, ifname and path for ADD, CHECK and
     * DEL, the netns for ADD and CHECK only (DEL works with the pod's namespace gone); STATUS and GC need none.
     */
    void require(String cmd) {
        boolean attach = cmd.equals("ADD") || cmd.equals("CHECK");
        if (!attach && !cmd.equals("DEL")) return;
        StringBuilder missing = new StringBuilder();
        if (containerId == null) missing.append(" CNI_CONTAINERID");
        if (attach && netns == null) missing.append(" CNI_NETNS");
        if (ifname == null) missing.append(" CNI_IFNAME");
        if (path == null) missing.append(" CNI_PATH");
        if (!missing.isEmpty()) {
            throw new CniException(CniException.INVALID_ENV, "required env variables [" + missing.toString().strip() + "] missing");
        }
        if (!CONTAINER_ID.matcher(containerId).matches()) {
            throw new CniException(CniException.INVALID_ENV, "invalid CNI_CONTAINERID \"" + containerId
                    + "\": must start with a letter or digit and hold only letters, digits, '_', '.' and '-'");
        }
        if (!NetConf.validIfname(ifname)) {
            throw new CniException(CniException.INVALID_ENV, "invalid CNI_IFNAME \"" + ifname
                    + "\": an interface name is 1-15 of letters, digits, '_', '.', '-'");
        }
        if (attach && !java.nio.file.Files.exists(java.nio.file.Path.of(netns))) {
            throw new CniException(CniException.INVALID_ENV, "CNI_NETNS " + netns + " does not exist");
        }
    }
}
