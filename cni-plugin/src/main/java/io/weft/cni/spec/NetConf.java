package io.weft.cni.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The network configuration a runtime hands the plugin on stdin ({@code "type": "weft"}), with the
 * defaults flannel users expect. Fields weft does not know are ignored, as CNI asks: runtimes add their own
 * ({@code runtimeConfig}, {@code args}, capabilities).
 *
 * @param mtu 0 when not set: FLANNEL_MTU from subnet.env then applies
 */
public record NetConf(String cniVersion, String name, String type, String subnetFile, String bridge, boolean isGateway,
                      boolean isDefaultGateway, boolean hairpinMode, boolean ipMasq, int mtu, String dataDir,
                      Map<String, Object> prevResult, List<Attachment> validAttachments, Map<String, Object> raw) {

    public static final String DEFAULT_SUBNET_FILE = "/run/flannel/subnet.env";
    public static final String DEFAULT_BRIDGE = "cni0";
    /** host-local keeps its files in /var/lib/cni/networks/NAME; weft's dataDir is the parent of "networks". */
    public static final String DEFAULT_DATA_DIR = "/var/lib/cni";

    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");
    private static final Pattern NET_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    /** One entry of {@code cni.dev/valid-attachments} (GC): an attachment the runtime still uses. */
    public record Attachment(String containerId, String ifname) {}

    public static NetConf parse(String stdin) {
        Map<String, Object> m = Json.parseObject(stdin);
        String version = str(m, "cniVersion", null);
        if (version == null || version.isEmpty()) {
            throw new CniException(CniException.INVALID_CONFIG, "invalid network config: cniVersion is missing");
        }
        String name = str(m, "name", null);
        if (name == null || name.isEmpty()) throw invalid("name is missing");
        if (!NET_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw invalid("name \"" + name + "\" must be letters, digits, '-', '_' or '.' (it names the IPAM directory)");
        }
        String type = str(m, "type", null);
        String bridge = str(m, "bridge", DEFAULT_BRIDGE);
        if (!IFNAME.matcher(bridge).matches()) throw invalid("bridge \"" + bridge + "\" is not a valid interface name (1-15 of [A-Za-z0-9_.-])");
        // As in the bridge plugin, a default gateway implies the bridge holds the gateway address.
        boolean isGateway = bool(m, "isGateway", true);
        boolean isDefaultGateway = bool(m, "isDefaultGateway", isGateway);
        long mtu = num(m, "mtu", 0);
        if (mtu != 0 && (mtu < 68 || mtu > 65535)) throw invalid("mtu " + mtu + " is out of range 68..65535");
        Object prev = m.get("prevResult");
        if (prev != null && !(prev instanceof Map)) throw invalid("prevResult must be an object, not " + Json.typeName(prev));
        @SuppressWarnings("unchecked")
        Map<String, Object> prevResult = (Map<String, Object>) prev;
        return new NetConf(version, name, type, str(m, "subnetFile", DEFAULT_SUBNET_FILE), bridge, isGateway || isDefaultGateway,
                isDefaultGateway, bool(m, "hairpinMode", true), bool(m, "ipMasq", false), (int) mtu,
                str(m, "dataDir", DEFAULT_DATA_DIR), prevResult, attachments(m), m);
    }

    private static List<Attachment> attachments(Map<String, Object> m) {
        Object v = m.get("cni.dev/valid-attachments");
        if (v == null) return null;
        if (!(v instanceof List<?> list)) throw invalid("cni.dev/valid-attachments must be an array, not " + Json.typeName(v));
        List<Attachment> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> a) || !(a.get("containerID") instanceof String id) || !(a.get("ifname") instanceof String ifn)) {
                throw invalid("cni.dev/valid-attachments entries need string fields containerID and ifname");
            }
            out.add(new Attachment(id, ifn));
        }
        return out;
    }

    public static boolean validIfname(String s) {
        return s != null && IFNAME.matcher(s).matches();
    }

    static CniException invalid(String why) {
        return new CniException(CniException.INVALID_CONFIG, "invalid network config: " + why);
    }

    private static String str(Map<String, Object> m, String k, String def) {
        Object v = m.get(k);
        if (v == null) return def;
        if (!(v instanceof String s)) throw invalid(k + " must be a string, not " + Json.typeName(v));
        return s;
    }

    private static boolean bool(Map<String, Object> m, String k, boolean def) {
        Object v = m.get(k);
        if (v == null) return def;
        if (!(v instanceof Boolean b)) throw invalid(k + " must be true or false, not " + Json.typeName(v));
        return b;
    }

    private static long num(Map<String, Object> m, String k, long def) {
        Object v = m.get(k);
        if (v == null) return def;
        if (!(v instanceof Long l)) throw invalid(k + " must be an integer, not " + Json.typeName(v));
        return l;
    }
}
