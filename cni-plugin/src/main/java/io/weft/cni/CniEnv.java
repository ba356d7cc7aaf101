package io.weft.cni;

import io.weft.cni.spec.CniException;
import java.util.Map;
import java.util.regex.Pattern;

/** The CNI_* environment variables a runtime sets, checked per command (missing or invalid: code 4). */
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

    /** What ADD and CHECK need: all of container id, netns, ifname and path. */
    public void requireForAttach() {
        require(true, true, true);
    }

    /** DEL: the netns may be gone already, so CNI_NETNS is optional. */
    public void requireForDel() {
        require(false, true, true);
    }

    private void require(boolean netnsNeeded, boolean ifnameNeeded, boolean pathNeeded) {
        StringBuilder missing = new StringBuilder();
        if (containerId == null) missing.append(" CNI_CONTAINERID");
        if (netnsNeeded && netns == null) missing.append(" CNI_NETNS");
        if (ifnameNeeded && ifname == null) missing.append(" CNI_IFNAME");
        if (pathNeeded && path == null) missing.append(" CNI_PATH");
        if (!missing.isEmpty()) {
            throw new CniException(CniException.INVALID_ENV, "required env variables [" + missing.toString().strip() + "] missing");
        }
        if (!CONTAINER_ID.matcher(containerId).matches()) {
            throw new CniException(CniException.INVALID_ENV, "invalid CNI_CONTAINERID \"" + containerId
                    + "\": must start with a letter or digit and hold only letters, digits, '_', '.' and '-'");
        }
        if (ifname != null && !io.weft.cni.spec.NetConf.validIfname(ifname)) {
            throw new CniException(CniException.INVALID_ENV, "invalid CNI_IFNAME \"" + ifname
                    + "\": an interface name is 1-15 of letters, digits, '_', '.', '-'");
        }
    }
}
